// Must not compile when linked against agentstudio_core alone: core never exposes Qt Widgets,
// not even transitively. CTest runs this build with WILL_FAIL.
#include <QWidget>
int main() { QWidget w; return 0; }
