// The first window's size from the screen's available area alone (a pure function, headless):
// inside the screen, capped at 1400×900, and shared out so the test panel stays the largest
// area down to 1280×720.
#include "ui/mainwindow/WindowLayout.h"

#include <QTest>

class TestWindowLayout : public QObject
{
    Q_OBJECT

private slots:
    void firstWindow_data()
    {
        QTest::addColumn<QRect>("available");
        QTest::addColumn<QSize>("window");
        QTest::addColumn<int>("dockHeight");
        // Available areas as a desktop reports them (a panel takes some of the height).
        QTest::newRow("1920x1080") << QRect(0, 0, 1920, 1080) << QSize(1400, 900) << 198;
        QTest::newRow("1920x1080, second screen, top panel")
            << QRect(1920, 27, 1920, 1053) << QSize(1400, 900) << 198;
        QTest::newRow("1366x768") << QRect(0, 0, 1366, 768) << QSize(1229, 691) << 152;
        QTest::newRow("1280x800") << QRect(0, 0, 1280, 800) << QSize(1152, 720) << 158;
        QTest::newRow("1280x800 with a 32 px panel") << QRect(0, 32, 1280, 768) << QSize(1152, 691) << 152;
        QTest::newRow("1280x720") << QRect(0, 0, 1280, 720) << QSize(1152, 648) << 142;
    }
    void firstWindow()
    {
        QFETCH(QRect, available);
        QFETCH(QSize, window);
        QFETCH(int, dockHeight);
        const QRect r = windowlayout::firstWindowRect(available);
        QCOMPARE(r.size(), window);
        QVERIFY2(available.contains(r), "the window leaves the screen");
        QCOMPARE(r.center(), available.center());
        // Room for the window manager's frame (title bar, borders) on every side.
        QVERIFY(available.height() - r.height() >= 60 || r.height() == 900);

        const windowlayout::Sizes s = windowlayout::firstSizes(r.size());
        QCOMPARE(s.bottomDockHeight, dockHeight);
        // What the test panel gets: the height less menu bar, status bar, dock title and
        // separators (about 90 px in all), the width less the tree.
        const int panelHeight = r.height() - 90 - s.bottomDockHeight;
        const int panelWidth = r.width() - s.treeWidth;
        QVERIFY2(panelHeight >= 2 * s.bottomDockHeight, qPrintable(QString::number(panelHeight)));
        QVERIFY(panelWidth >= 4 * s.treeWidth);
        QVERIFY(s.treeWidth >= 180);
        QVERIFY(panelHeight >= 400); // a form and its Run button fit without scrolling
    }

    // No screen (a headless start): the design size.
    void noScreen() { QCOMPARE(windowlayout::firstWindowRect(QRect()).size(), QSize(1400, 900)); }
};

QTEST_APPLESS_MAIN(TestWindowLayout)
#include "tst_windowlayout.moc"
