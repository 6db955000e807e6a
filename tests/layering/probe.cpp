// Must not compile when linked against agentstudio_core alone: core never exposes Qt Widgets,
// not even transitively. CTest runs this build and expects the compiler's "QWidget: No such
// file" message (tests/CMakeLists.txt).
#include <QWidget>
int main()
{
    QWidget w;
    return 0;
}
