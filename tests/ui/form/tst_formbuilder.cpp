// The form generated from a signature: the right widget per field type, values that round-trip,
// validation that blocks Run until the form is valid, the Raw JSON view, and the list editor.
#include "ui/common/JsonEditor.h"
#include "ui/form/FieldEditor.h"
#include "ui/form/FormBuilder.h"
#include "ui/form/ListFieldEditor.h"

#include <Qsci/qsciscintilla.h>

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QToolButton>

namespace {
FieldSpec field(const QJsonObject &o)
{
    QStringList problems;
    const std::optional<FieldSpec> f = FieldSpec::fromJson(o, QStringLiteral("field"), &problems);
    if (!f || !problems.isEmpty())
        qFatal("bad field spec in test: %s", qPrintable(problems.join(QLatin1Char('\n'))));
    return *f;
}

QJsonObject obj(const char *json)
{
    return QJsonDocument::fromJson(QByteArray(json)).object();
}

// Every field type once, as the Single Agent tests use it too.
QList<FieldSpec> allTypes()
{
    return {
        field(obj(R"({"name":"title","type":"str","desc":"A title","max_length":20})")),
        field(obj(R"({"name":"body","type":"str","multiline":true,"required":false})")),
        field(obj(R"({"name":"count","type":"int","min":5,"max":400,"default":60})")),
        field(obj(R"({"name":"ratio","type":"float","min":0,"max":1})")),
        field(obj(R"({"name":"flag","type":"bool","default":false})")),
        field(obj(R"({"name":"tone","type":"enum","choices":["neutral","upbeat"]})")),
        field(obj(R"({"name":"tags","type":"list[str]","default":[]})")),
        field(obj(R"({"name":"ids","type":"list[int]","default":[]})")),
        field(obj(R"({"name":"weights","type":"list[float]","default":[]})")),
        field(obj(R"({"name":"extra","type":"json","required":false})")),
    };
}
} // namespace

class TestFormBuilder : public QObject
{
    Q_OBJECT

private slots:
    // Each field type gets the widget a user expects for it.
    void widgetKind_data();
    void widgetKind();
    // setValues() then values() gives the same typed value back, for every type.
    void valueRoundTrip_data();
    void valueRoundTrip();
    // Fields left empty are absent from values(); defaults are shown and used.
    void emptyAndDefaults();
    // An invalid field blocks (validityChanged(false), inline reason), fixing it allows.
    void validationBlocksThenAllows_data();
    void validationBlocksThenAllows();
    // "required" shows inline only after the field was touched, but always blocks.
    void requiredIsQuietUntilTouched();
    // The Raw JSON view round-trips with the form both ways; bad JSON blocks with its position.
    void rawJsonRoundTrip();
    void rawJsonBadTextBlocks();
    // The list editor: add, remove, move up and down, typed items.
    void listAddRemoveReorder();
    // The json editor marks where the syntax error is.
    void jsonEditorErrorPosition_data();
    void jsonEditorErrorPosition();
};

void TestFormBuilder::widgetKind_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("className");
    QTest::newRow("str") << "title"
                         << "QLineEdit";
    QTest::newRow("str multiline") << "body"
                                   << "QsciScintilla";
    QTest::newRow("int") << "count"
                         << "QSpinBox";
    QTest::newRow("float") << "ratio"
                           << "QDoubleSpinBox";
    QTest::newRow("bool") << "flag"
                          << "QCheckBox";
    QTest::newRow("enum") << "tone"
                          << "QComboBox";
    QTest::newRow("list[str]") << "tags"
                               << "ListFieldEditor";
    QTest::newRow("list[int]") << "ids"
                               << "ListFieldEditor";
    QTest::newRow("json") << "extra"
                          << "JsonEditor";
}

void TestFormBuilder::widgetKind()
{
    QFETCH(QString, name);
    QFETCH(QString, className);
    FormBuilder form;
    form.setFields(allTypes());
    QWidget *w = form.findChild<QWidget *>(QStringLiteral("field_") + name);
    QVERIFY2(w, qPrintable(name));
    QVERIFY2(w->inherits(className.toLatin1().constData()),
        qPrintable(
            QStringLiteral("%1 is a %2").arg(name, QString::fromLatin1(w->metaObject()->className()))));
    QVERIFY(form.findChild<QLabel *>(QStringLiteral("label_") + name));
    QVERIFY(form.findChild<QLabel *>(QStringLiteral("error_") + name));
}

void TestFormBuilder::valueRoundTrip_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QJsonValue>("value");
    QTest::newRow("str") << "title" << QJsonValue(QStringLiteral("Hello ü"));
    QTest::newRow("str multiline") << "body" << QJsonValue(QStringLiteral("line 1\nline 2"));
    QTest::newRow("int") << "count" << QJsonValue(123);
    QTest::newRow("int at min") << "count" << QJsonValue(5);
    QTest::newRow("float") << "ratio" << QJsonValue(0.25);
    QTest::newRow("bool true") << "flag" << QJsonValue(true);
    QTest::newRow("enum") << "tone" << QJsonValue(QStringLiteral("upbeat"));
    QTest::newRow("list[str]") << "tags"
                               << QJsonValue(QJsonArray { QStringLiteral("a"), QStringLiteral("b c") });
    QTest::newRow("list[int]") << "ids" << QJsonValue(QJsonArray { 3, -1, 42 });
    QTest::newRow("list[float]") << "weights" << QJsonValue(QJsonArray { 0.5, 2.25 });
    QTest::newRow("json object") << "extra"
                                 << QJsonValue(
                                        QJsonObject { { QStringLiteral("k"), QJsonArray { 1, true } } });
    QTest::newRow("json scalar") << "extra" << QJsonValue(QStringLiteral("just text"));
}

void TestFormBuilder::valueRoundTrip()
{
    QFETCH(QString, name);
    QFETCH(QJsonValue, value);
    FormBuilder form;
    form.setFields(allTypes());
    form.setValues({ { name, value } });
    QCOMPARE(form.values().value(name), value);
    // Through the widget's own value too (what Run sends).
    QCOMPARE(form.editor(name)->value(), value);
}

void TestFormBuilder::emptyAndDefaults()
{
    FormBuilder form;
    form.setFields(allTypes());
    const QJsonObject v = form.values();
    QCOMPARE(v.value(QStringLiteral("count")), QJsonValue(60)); // default shown and used
    QCOMPARE(v.value(QStringLiteral("flag")), QJsonValue(false));
    QVERIFY(!v.contains(QStringLiteral("title"))); // empty: absent
    QVERIFY(!v.contains(QStringLiteral("ratio")));
    QVERIFY(!v.contains(QStringLiteral("tone")));
    QVERIFY(!v.contains(QStringLiteral("extra")));
    auto *hint = form.findChild<QLabel *>(QStringLiteral("hint_count"));
    QVERIFY(hint);
    QVERIFY2(hint->text().contains(QStringLiteral("default: 60")), qPrintable(hint->text()));
    QVERIFY(hint->text().contains(QStringLiteral("5 … 400")));
    auto *label = form.findChild<QLabel *>(QStringLiteral("label_title"));
    QVERIFY(label->text().contains(QLatin1Char('*'))); // required marker
    QVERIFY(!form.findChild<QLabel *>(QStringLiteral("label_body"))->text().contains(QLatin1Char('*')));
    QVERIFY(form.findChild<QLineEdit *>(QStringLiteral("field_title"))
                ->placeholderText()
                .contains(QStringLiteral("A title")));
    // Back to the defaults.
    form.setValues({ { QStringLiteral("count"), 7 } });
    form.resetToDefaults();
    QCOMPARE(form.values().value(QStringLiteral("count")), QJsonValue(60));
}

void TestFormBuilder::validationBlocksThenAllows_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QJsonValue>("bad");
    QTest::addColumn<QJsonValue>("good");
    QTest::addColumn<QString>("reason"); // part of the inline message
    QTest::newRow("str too long") << "title" << QJsonValue(QStringLiteral("x").repeated(21))
                                  << QJsonValue(QStringLiteral("short")) << "20";
    QTest::newRow("json syntax") << "extra" << QJsonValue() // bad text typed below
                                 << QJsonValue(QJsonObject { { QStringLiteral("a"), 1 } }) << "line 1";
    QTest::newRow("list[int] item") << "ids" << QJsonValue() << QJsonValue(QJsonArray { 1, 2 }) << "item 2";
}

void TestFormBuilder::validationBlocksThenAllows()
{
    QFETCH(QString, name);
    QFETCH(QJsonValue, bad);
    QFETCH(QJsonValue, good);
    QFETCH(QString, reason);
    FormBuilder form;
    form.setFields(allTypes());
    // Make every other required field valid first.
    form.setValues({ { QStringLiteral("title"), QStringLiteral("ok") }, { QStringLiteral("ratio"), 0.5 },
        { QStringLiteral("tone"), QStringLiteral("neutral") } });
    QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
    QSignalSpy validity(&form, &FormBuilder::validityChanged);

    if (name == QStringLiteral("extra")) {
        auto *editor = form.findChild<JsonEditor *>(QStringLiteral("field_extra"));
        editor->setText(QStringLiteral("{\"a\": }"));
    } else if (name == QStringLiteral("ids")) {
        auto *list = form.findChild<ListFieldEditor *>(QStringLiteral("field_ids"));
        list->addItem(QStringLiteral("1"));
        list->addItem(QStringLiteral("two"));
    } else {
        auto *edit = form.findChild<QLineEdit *>(QStringLiteral("field_") + name);
        edit->clear();
        QTest::keyClicks(edit, bad.toString());
    }
    QVERIFY(!form.isValid());
    QVERIFY(validity.size() >= 1); // clearing a required str already counts
    QCOMPARE(validity.last().at(0).toBool(), false);
    auto *error = form.findChild<QLabel *>(QStringLiteral("error_") + name);
    QVERIFY(!error->isHidden());
    QVERIFY2(error->text().contains(reason), qPrintable(error->text()));

    if (name == QStringLiteral("ids"))
        form.findChild<ListFieldEditor *>(QStringLiteral("field_ids"))
            ->list()
            ->item(1)
            ->setText(QStringLiteral("2"));
    else
        form.setValues(
            QJsonObject { { QStringLiteral("title"), QStringLiteral("ok") }, { QStringLiteral("ratio"), 0.5 },
                { QStringLiteral("tone"), QStringLiteral("neutral") }, { name, good } });
    QVERIFY2(form.isValid(), qPrintable(form.problems().join(QLatin1Char('\n'))));
    QCOMPARE(validity.last().at(0).toBool(), true);
    QVERIFY(error->isHidden());
    QCOMPARE(form.values().value(name), good);
}

void TestFormBuilder::requiredIsQuietUntilTouched()
{
    FormBuilder form;
    form.setFields(allTypes());
    QVERIFY(!form.isValid());
    QVERIFY(form.problems().contains(QStringLiteral("title: required")));
    auto *error = form.findChild<QLabel *>(QStringLiteral("error_title"));
    QVERIFY(error->isHidden());
    auto *edit = form.findChild<QLineEdit *>(QStringLiteral("field_title"));
    QTest::keyClicks(edit, QStringLiteral("ab"));
    edit->clear();
    QVERIFY(!error->isHidden());
    QCOMPARE(error->text(), QStringLiteral("required"));
    // Enum without default: the placeholder is no value.
    auto *combo = form.findChild<QComboBox *>(QStringLiteral("field_tone"));
    QCOMPARE(combo->currentIndex(), -1);
    combo->setCurrentIndex(1);
    QVERIFY(!form.fieldError(QStringLiteral("tone")).size());
    QCOMPARE(form.values().value(QStringLiteral("tone")), QJsonValue(QStringLiteral("upbeat")));
    // A number spin box honours min/max.
    auto *spin = form.findChild<QSpinBox *>(QStringLiteral("field_count"));
    QCOMPARE(spin->minimum(), 5);
    QCOMPARE(spin->maximum(), 400);
    auto *dspin = form.findChild<QDoubleSpinBox *>(QStringLiteral("field_ratio"));
    QCOMPARE(dspin->maximum(), 1.0);
    dspin->setValue(0.75);
    QCOMPARE(form.values().value(QStringLiteral("ratio")), QJsonValue(0.75));
    QCOMPARE(dspin->text(), QStringLiteral("0.75"));
}

void TestFormBuilder::rawJsonRoundTrip()
{
    FormBuilder form;
    form.setFields(allTypes());
    const QJsonObject values { { QStringLiteral("title"), QStringLiteral("T") },
        { QStringLiteral("count"), 9 }, { QStringLiteral("ratio"), 0.5 }, { QStringLiteral("flag"), true },
        { QStringLiteral("tone"), QStringLiteral("neutral") },
        { QStringLiteral("tags"), QJsonArray { QStringLiteral("x") } },
        { QStringLiteral("ids"), QJsonArray {} }, { QStringLiteral("weights"), QJsonArray { 1.5 } },
        { QStringLiteral("extra"), QJsonObject { { QStringLiteral("deep"), QJsonArray { 1, 2 } } } } };
    form.setValues(values);
    QCOMPARE(form.values(), values);
    auto *toggle = form.findChild<QToolButton *>(QStringLiteral("rawJsonToggle"));
    QVERIFY(toggle);
    toggle->click();
    QVERIFY(form.isRawJson());
    auto *raw = form.findChild<JsonEditor *>(QStringLiteral("rawJsonEditor"));
    QCOMPARE(raw->jsonValue().toObject(), values);
    QVERIFY(form.isValid());

    // Edit in raw mode, then back to the form.
    QJsonObject edited = values;
    edited.insert(QStringLiteral("count"), 77);
    edited.insert(QStringLiteral("tags"), QJsonArray { QStringLiteral("y"), QStringLiteral("z") });
    raw->setText(QString::fromUtf8(QJsonDocument(edited).toJson()));
    QCOMPARE(form.values(), edited);
    toggle->click();
    QVERIFY(!form.isRawJson());
    QCOMPARE(form.values(), edited);
    QCOMPARE(form.findChild<QSpinBox *>(QStringLiteral("field_count"))->value(), 77);

    // Raw mode checks types against the signature too.
    toggle->click();
    raw->setText(QStringLiteral("{\"title\": \"T\", \"ratio\": 0.5, \"tone\": \"loud\"}"));
    QVERIFY(!form.isValid());
    QVERIFY2(form.problems().join(QLatin1Char(' ')).contains(QStringLiteral("tone")),
        qPrintable(form.problems().join(QLatin1Char(' '))));
}

void TestFormBuilder::rawJsonBadTextBlocks()
{
    FormBuilder form;
    form.setFields(allTypes());
    form.setValues({ { QStringLiteral("title"), QStringLiteral("T") }, { QStringLiteral("ratio"), 0.5 },
        { QStringLiteral("tone"), QStringLiteral("neutral") } });
    QVERIFY(form.isValid());
    QVERIFY(form.setRawJson(true));
    auto *raw = form.findChild<JsonEditor *>(QStringLiteral("rawJsonEditor"));
    QSignalSpy validity(&form, &FormBuilder::validityChanged);
    raw->setText(QStringLiteral("{\n  \"title\": \"T\",\n  \"ratio\": 0.5,\n}"));
    QVERIFY(!form.isValid());
    QCOMPARE(validity.last().at(0).toBool(), false);
    auto *error = form.findChild<QLabel *>(QStringLiteral("rawJsonError"));
    QVERIFY(!error->isHidden());
    QVERIFY2(error->text().contains(QStringLiteral("line 4")), qPrintable(error->text()));
    // Leaving raw mode is refused while the text is not an object.
    form.findChild<QToolButton *>(QStringLiteral("rawJsonToggle"))->click();
    QVERIFY(form.isRawJson());
    QVERIFY(form.findChild<QToolButton *>(QStringLiteral("rawJsonToggle"))->isChecked());
    raw->setText(QStringLiteral("{\"title\": \"T\", \"ratio\": 0.5, \"tone\": \"neutral\"}"));
    QVERIFY(form.isValid());
    QVERIFY(form.setRawJson(false));
    QCOMPARE(form.values().value(QStringLiteral("tone")), QJsonValue(QStringLiteral("neutral")));
}

void TestFormBuilder::listAddRemoveReorder()
{
    FormBuilder form;
    form.setFields(allTypes());
    auto *editor = form.findChild<ListFieldEditor *>(QStringLiteral("field_tags"));
    QVERIFY(editor);
    QAbstractItemModelTester tester(
        editor->list()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto *add = editor->findChild<QToolButton *>(QStringLiteral("addItem"));
    auto *remove = editor->findChild<QToolButton *>(QStringLiteral("removeItem"));
    auto *up = editor->findChild<QToolButton *>(QStringLiteral("moveUp"));
    auto *down = editor->findChild<QToolButton *>(QStringLiteral("moveDown"));
    QVERIFY(add && remove && up && down);
    QVERIFY(!remove->isEnabled());
    for (const char *text : { "a", "b", "c" }) {
        add->click();
        QListWidget *list = editor->list();
        if (QWidget *open = list->indexWidget(list->currentIndex()))
            Q_UNUSED(open);
        list->closePersistentEditor(list->currentItem());
        list->currentItem()->setText(QString::fromLatin1(text));
    }
    QCOMPARE(form.values().value(QStringLiteral("tags")),
        QJsonValue(QJsonArray { QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c") }));
    QVERIFY(!down->isEnabled()); // "c" is current, last
    up->click();
    QCOMPARE(form.values().value(QStringLiteral("tags")),
        QJsonValue(QJsonArray { QStringLiteral("a"), QStringLiteral("c"), QStringLiteral("b") }));
    up->click();
    QVERIFY(!up->isEnabled());
    QCOMPARE(form.values().value(QStringLiteral("tags")),
        QJsonValue(QJsonArray { QStringLiteral("c"), QStringLiteral("a"), QStringLiteral("b") }));
    down->click();
    QCOMPARE(form.values().value(QStringLiteral("tags")),
        QJsonValue(QJsonArray { QStringLiteral("a"), QStringLiteral("c"), QStringLiteral("b") }));
    remove->click(); // removes "c"
    QCOMPARE(form.values().value(QStringLiteral("tags")),
        QJsonValue(QJsonArray { QStringLiteral("a"), QStringLiteral("b") }));

    // Typed items: a float list reads numbers.
    auto *weights = form.findChild<ListFieldEditor *>(QStringLiteral("field_weights"));
    weights->addItem(QStringLiteral("1.5"));
    weights->addItem(QStringLiteral("-2e3"));
    QCOMPARE(form.values().value(QStringLiteral("weights")), QJsonValue(QJsonArray { 1.5, -2000.0 }));
}

void TestFormBuilder::jsonEditorErrorPosition_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::newRow("valid object") << "{\"a\": 1}" << 0 << 0;
    QTest::newRow("valid scalar") << "42" << 0 << 0;
    QTest::newRow("missing value") << "{\"a\": }" << 1 << 7;
    QTest::newRow("second line") << "{\n  \"a\" 1\n}" << 2 << 7;
    QTest::newRow("two values") << "1 2" << 1 << 4;
}

void TestFormBuilder::jsonEditorErrorPosition()
{
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(int, column);
    JsonEditor editor;
    QSignalSpy errors(&editor, &JsonEditor::errorChanged);
    editor.setText(text);
    QCOMPARE(editor.isValid(), line == 0);
    QCOMPARE(editor.errorLine(), line);
    if (line > 0) {
        QVERIFY(errors.size() >= 1);
        QVERIFY2(qAbs(editor.errorColumn() - column) <= 1, qPrintable(editor.errorText()));
        QVERIFY(editor.errorText().startsWith(QStringLiteral("line %1").arg(line)));
    }
}

QTEST_MAIN(TestFormBuilder)
#include "tst_formbuilder.moc"
