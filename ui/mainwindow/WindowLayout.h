#pragma once

#include <QRect>
#include <QSize>

// How big the main window opens the first time (no saved geometry or dock state yet), worked
// out from the screen's available area alone, so it is a pure function that tests check
// headless for any screen. Used by MainWindow on the GUI thread. See docs/window-layout.md.
namespace windowlayout {

// The window's geometry (without the window manager's frame): 90 % of the available area,
// capped at 1400×900, never larger than the area, centred in it.
QRect firstWindowRect(const QRect &available);

// How the first window is shared out: the workspace tree beside the test panel, and the
// history/trace docks under it. The test panel keeps most of the width and the height, down
// to a 1280×720 screen.
struct Sizes
{
    int treeWidth = 0;
    int bottomDockHeight = 0;
};
Sizes firstSizes(const QSize &window);

} // namespace windowlayout
