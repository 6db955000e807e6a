#include <QtTest>
class TestDataset : public QObject
{
    Q_OBJECT
};
QTEST_GUILESS_MAIN(TestDataset)
#include "tst_dataset.moc"
