#include "core/common/Util.h"
#include "core/model/FieldSpec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

// Field specs are the contract between the generated form, the runner's --input parsing and
// the reply parser: each rule is one data row, so a regression names the rule it broke.
class TestFieldSpec final : public QObject
{
    Q_OBJECT

private:
    static FieldSpec spec(const char *json)
    {
        QStringList problems;
        const auto f
            = FieldSpec::fromJson(QJsonDocument::fromJson(json).object(), QStringLiteral("f"), &problems);
        if (!f)
            qWarning("spec %s: %s", json, qPrintable(problems.join(QLatin1Char('\n'))));
        return f.value_or(FieldSpec());
    }
    static QJsonValue value(const QByteArray &json)
    {
        QString error;
        const QJsonValue v = as::parseJsonValue(QString::fromUtf8(json), &error);
        if (!error.isEmpty())
            qWarning("bad test value %s", json.constData());
        return v;
    }

private slots:
    void typeNames()
    {
        for (FieldType t :
            { FieldType::Str, FieldType::Int, FieldType::Float, FieldType::Bool, FieldType::Enum,
                FieldType::ListStr, FieldType::ListInt, FieldType::ListFloat, FieldType::Json })
            QCOMPARE(FieldSpec::typeFromName(FieldSpec::typeName(t)), t);
        QCOMPARE(FieldSpec::typeName(FieldType::ListFloat), QStringLiteral("list[float]"));
        QVERIFY(!FieldSpec::typeFromName(QStringLiteral("strng")));
        QVERIFY(!FieldSpec::typeFromName(QStringLiteral("list[bool]")));
    }

    // Each row: a field object, a JSON value, and "" when the value fits, else a substring of
    // the reason.
    void validate_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QString>("problem");

        const QByteArray str = R"({"name":"s","type":"str","max_length":5})";
        const QByteArray integer = R"({"name":"i","type":"int","min":5,"max":400})";
        const QByteArray real = R"({"name":"f","type":"float","min":0,"max":1})";
        const QByteArray boolean = R"({"name":"b","type":"bool"})";
        const QByteArray enumeration = R"({"name":"e","type":"enum","choices":["neutral","upbeat"]})";
        const QByteArray listStr = R"({"name":"ls","type":"list[str]"})";
        const QByteArray listInt = R"({"name":"li","type":"list[int]","min":1,"max":5})";
        const QByteArray listFloat = R"({"name":"lf","type":"list[float]"})";
        const QByteArray json = R"({"name":"j","type":"json"})";

        QTest::newRow("str ok") << str << QByteArray(R"("abc")") << QString();
        QTest::newRow("str empty ok") << str << QByteArray(R"("")") << QString();
        QTest::newRow("str too long")
            << str << QByteArray(R"("abcdef")") << QStringLiteral("longer than 5 characters");
        QTest::newRow("str given number")
            << str << QByteArray("3") << QStringLiteral("expected a string, got 3");
        QTest::newRow("str given null")
            << str << QByteArray("null") << QStringLiteral("expected a string, got null");
        QTest::newRow("int ok") << integer << QByteArray("42") << QString();
        QTest::newRow("int as 42.0 ok") << integer << QByteArray("42.0") << QString();
        QTest::newRow("int at min") << integer << QByteArray("5") << QString();
        QTest::newRow("int at max") << integer << QByteArray("400") << QString();
        QTest::newRow("int below min") << integer << QByteArray("4") << QStringLiteral("must be ≥ 5");
        QTest::newRow("int above max") << integer << QByteArray("401") << QStringLiteral("must be ≤ 400");
        QTest::newRow("int with fraction")
            << integer << QByteArray("7.5") << QStringLiteral("expected an integer, got 7.5");
        QTest::newRow("int given string")
            << integer << QByteArray(R"("abc")") << QStringLiteral(R"(expected an integer, got "abc")");
        QTest::newRow("int given numeric string")
            << integer << QByteArray(R"("42")") << QStringLiteral("expected an integer");
        QTest::newRow("float ok") << real << QByteArray("0.25") << QString();
        QTest::newRow("float integer ok") << real << QByteArray("1") << QString();
        QTest::newRow("float above max")
            << real << QByteArray("1.5") << QStringLiteral("must be ≤ 1 (got 1.5)");
        QTest::newRow("float below min") << real << QByteArray("-0.1") << QStringLiteral("must be ≥ 0");
        QTest::newRow("float given word")
            << real << QByteArray(R"("high")") << QStringLiteral(R"(expected a number, got "high")");
        QTest::newRow("bool true") << boolean << QByteArray("true") << QString();
        QTest::newRow("bool false") << boolean << QByteArray("false") << QString();
        QTest::newRow("bool given string")
            << boolean << QByteArray(R"("true")") << QStringLiteral("expected true or false");
        QTest::newRow("bool given 1")
            << boolean << QByteArray("1") << QStringLiteral("expected true or false, got 1");
        QTest::newRow("enum ok") << enumeration << QByteArray(R"("upbeat")") << QString();
        QTest::newRow("enum not a choice")
            << enumeration << QByteArray(R"("angry")")
            << QStringLiteral(R"(must be one of neutral, upbeat (got "angry"))");
        QTest::newRow("enum case matters")
            << enumeration << QByteArray(R"("Neutral")") << QStringLiteral("must be one of");
        QTest::newRow("enum given number")
            << enumeration << QByteArray("1") << QStringLiteral("expected one of neutral, upbeat");
        QTest::newRow("list[str] ok") << listStr << QByteArray(R"(["a","b"])") << QString();
        QTest::newRow("list[str] empty ok") << listStr << QByteArray("[]") << QString();
        QTest::newRow("list[str] bad item")
            << listStr << QByteArray(R"(["a",2])") << QStringLiteral("item 1: expected a string, got 2");
        QTest::newRow("list[str] given string")
            << listStr << QByteArray(R"("a,b")") << QStringLiteral(R"(expected a list, got "a,b")");
        QTest::newRow("list[int] ok") << listInt << QByteArray("[1,5,3]") << QString();
        QTest::newRow("list[int] fraction")
            << listInt << QByteArray("[1,2.5]") << QStringLiteral("item 1: expected an integer");
        QTest::newRow("list[int] item out of range")
            << listInt << QByteArray("[1,6]") << QStringLiteral("item 1: must be ≤ 5");
        QTest::newRow("list[float] ok") << listFloat << QByteArray("[1,2.5,-3]") << QString();
        QTest::newRow("list[float] bad item") << listFloat << QByteArray(R"([1,"x"])")
                                              << QStringLiteral(R"(item 1: expected a number, got "x")");
        QTest::newRow("json object") << json << QByteArray(R"({"a":[1,2]})") << QString();
        QTest::newRow("json scalar") << json << QByteArray("3") << QString();
        QTest::newRow("json null") << json << QByteArray("null") << QString();
    }

    void validate()
    {
        QFETCH(QByteArray, field);
        QFETCH(QByteArray, value);
        QFETCH(QString, problem);
        const FieldSpec f = spec(field.constData());
        QVERIFY(!f.name.isEmpty());
        const QString why = f.validate(TestFieldSpec::value(value));
        if (problem.isEmpty())
            QVERIFY2(why.isEmpty(), qPrintable(why));
        else
            QVERIFY2(why.contains(problem), qPrintable(QStringLiteral("got: ") + why));
    }

    void missingValueIsReported()
    {
        QCOMPARE(spec(R"({"name":"x","type":"json"})").validate(QJsonValue(QJsonValue::Undefined)),
            QStringLiteral("missing"));
    }

    // Text typed into a form or given as --input NAME=VALUE. An empty `error` column means the
    // conversion succeeds and gives `expected` (compact JSON).
    void fromText_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QString>("error");

        const QByteArray str = R"({"name":"s","type":"str"})";
        const QByteArray integer = R"({"name":"i","type":"int"})";
        const QByteArray real = R"({"name":"f","type":"float"})";
        const QByteArray boolean = R"({"name":"b","type":"bool"})";
        const QByteArray enumeration = R"({"name":"e","type":"enum","choices":["a","b"]})";
        const QByteArray listStr = R"({"name":"ls","type":"list[str]"})";
        const QByteArray listInt = R"({"name":"li","type":"list[int]"})";
        const QByteArray listFloat = R"({"name":"lf","type":"list[float]"})";
        const QByteArray json = R"({"name":"j","type":"json"})";

        QTest::newRow("str kept verbatim")
            << str << QStringLiteral(" two words ") << QStringLiteral(R"(" two words ")") << QString();
        QTest::newRow("str multiline")
            << str << QStringLiteral("a\nb") << QStringLiteral(R"("a\nb")") << QString();
        QTest::newRow("int") << integer << QStringLiteral("42") << QStringLiteral("42") << QString();
        QTest::newRow("int with spaces")
            << integer << QStringLiteral(" -7 ") << QStringLiteral("-7") << QString();
        QTest::newRow("int written 3.0")
            << integer << QStringLiteral("3.0") << QStringLiteral("3") << QString();
        QTest::newRow("int not a number") << integer << QStringLiteral("abc") << QString()
                                          << QStringLiteral(R"(expected an integer, got "abc")");
        QTest::newRow("int fraction")
            << integer << QStringLiteral("2.5") << QString() << QStringLiteral("expected an integer");
        QTest::newRow("float") << real << QStringLiteral("0.25") << QStringLiteral("0.25") << QString();
        QTest::newRow("float exponent")
            << real << QStringLiteral("1e3") << QStringLiteral("1000") << QString();
        QTest::newRow("float not a number")
            << real << QStringLiteral("high") << QString() << QStringLiteral("expected a number");
        QTest::newRow("bool true") << boolean << QStringLiteral("true") << QStringLiteral("true")
                                   << QString();
        QTest::newRow("bool yes") << boolean << QStringLiteral("Yes") << QStringLiteral("true") << QString();
        QTest::newRow("bool 0") << boolean << QStringLiteral("0") << QStringLiteral("false") << QString();
        QTest::newRow("bool garbage")
            << boolean << QStringLiteral("maybe") << QString() << QStringLiteral("expected true or false");
        QTest::newRow("enum") << enumeration << QStringLiteral("b") << QStringLiteral(R"("b")") << QString();
        QTest::newRow("list[str] comma")
            << listStr << QStringLiteral("a, b ,c") << QStringLiteral(R"(["a","b","c"])") << QString();
        QTest::newRow("list[str] json")
            << listStr << QStringLiteral(R"(["a,b","c"])") << QStringLiteral(R"(["a,b","c"])") << QString();
        QTest::newRow("list[str] empty") << listStr << QString() << QStringLiteral("[]") << QString();
        QTest::newRow("list[int] comma")
            << listInt << QStringLiteral("1,2,3") << QStringLiteral("[1,2,3]") << QString();
        QTest::newRow("list[int] json")
            << listInt << QStringLiteral("[1, 2.0]") << QStringLiteral("[1,2]") << QString();
        QTest::newRow("list[int] bad item")
            << listInt << QStringLiteral("1,x") << QString() << QStringLiteral("item 1: expected an integer");
        QTest::newRow("list[int] broken json")
            << listInt << QStringLiteral("[1,") << QString() << QStringLiteral("not a valid JSON list");
        QTest::newRow("list[float] comma")
            << listFloat << QStringLiteral("1.5, 2") << QStringLiteral("[1.5,2]") << QString();
        QTest::newRow("json object") << json << QStringLiteral(R"({"a": 1})") << QStringLiteral(R"({"a":1})")
                                     << QString();
        QTest::newRow("json number") << json << QStringLiteral("12") << QStringLiteral("12") << QString();
        QTest::newRow("json string") << json << QStringLiteral(R"("x")") << QStringLiteral(R"("x")")
                                     << QString();
        QTest::newRow("json invalid")
            << json << QStringLiteral("{a:1}") << QString() << QStringLiteral("not valid JSON");
        QTest::newRow("json empty") << json << QString() << QString() << QStringLiteral("expected JSON text");
    }

    void fromText()
    {
        QFETCH(QByteArray, field);
        QFETCH(QString, text);
        QFETCH(QString, expected);
        QFETCH(QString, error);
        const FieldSpec f = spec(field.constData());
        QString why;
        const std::optional<QJsonValue> v = f.fromText(text, &why);
        if (error.isEmpty()) {
            QVERIFY2(v.has_value(), qPrintable(why));
            QCOMPARE(as::compactJson(*v), expected);
        } else {
            QVERIFY(!v.has_value());
            QVERIFY2(why.contains(error), qPrintable(QStringLiteral("got: ") + why));
        }
    }

    // Problems in the field object itself, each with the path and key.
    void fieldProblems_data()
    {
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QString>("problem");
        QTest::newRow("unknown type")
            << QByteArray(R"({"name":"a","type":"strng"})") << QStringLiteral("f.type: unknown type 'strng'");
        QTest::newRow("missing type") << QByteArray(R"({"name":"a"})") << QStringLiteral("f.type: missing");
        QTest::newRow("missing name") << QByteArray(R"({"type":"str"})") << QStringLiteral("f.name: missing");
        QTest::newRow("name with dot")
            << QByteArray(R"({"name":"a.b","type":"str"})") << QStringLiteral("f.name: invalid name 'a.b'");
        QTest::newRow("enum without choices")
            << QByteArray(R"({"name":"a","type":"enum"})")
            << QStringLiteral("f.choices: an enum needs at least one choice");
        QTest::newRow("enum duplicate choice")
            << QByteArray(R"({"name":"a","type":"enum","choices":["x","x"]})")
            << QStringLiteral("f.choices: duplicate choice 'x'");
        QTest::newRow("default out of range")
            << QByteArray(R"({"name":"a","type":"int","max":10,"default":42})")
            << QStringLiteral("f.default: must be ≤ 10 (got 42)");
        QTest::newRow("default wrong type")
            << QByteArray(R"({"name":"a","type":"bool","default":"yes"})")
            << QStringLiteral(R"(f.default: expected true or false, got "yes")");
        QTest::newRow("default not a choice")
            << QByteArray(R"({"name":"a","type":"enum","choices":["x"],"default":"y"})")
            << QStringLiteral("f.default: must be one of x");
        QTest::newRow("min above max") << QByteArray(R"({"name":"a","type":"int","min":10,"max":1})")
                                       << QStringLiteral("f.min: 10 is greater than max 1");
        QTest::newRow("min not a number") << QByteArray(R"({"name":"a","type":"int","min":"1"})")
                                          << QStringLiteral("f.min: expected a number");
        QTest::newRow("max_length negative")
            << QByteArray(R"({"name":"a","type":"str","max_length":-1})")
            << QStringLiteral("f.max_length: expected a non-negative integer");
        QTest::newRow("choices not strings") << QByteArray(R"({"name":"a","type":"enum","choices":["x",1]})")
                                             << QStringLiteral("f.choices[1]: expected a string");
        QTest::newRow("required not bool") << QByteArray(R"({"name":"a","type":"str","required":"no"})")
                                           << QStringLiteral("f.required: expected true or false");
        QTest::newRow("not an object")
            << QByteArray(R"(["a"])") << QStringLiteral("f: expected a field object");
    }

    void fieldProblems()
    {
        QFETCH(QByteArray, field);
        QFETCH(QString, problem);
        QStringList problems;
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(field, &pe);
        QCOMPARE(pe.error, QJsonParseError::NoError);
        const QJsonValue v = doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
        const auto f = FieldSpec::fromJson(v, QStringLiteral("f"), &problems);
        QVERIFY(!f.has_value());
        QVERIFY2(!problems.filter(problem).isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }

    void requiredAndDefaults()
    {
        QVERIFY(spec(R"({"name":"a","type":"str"})").required);
        QVERIFY(!spec(R"({"name":"a","type":"str","required":false})").required);
        const FieldSpec withDefault = spec(R"({"name":"a","type":"int","default":3})");
        QVERIFY(!withDefault.required);
        QCOMPARE(withDefault.defaultValue->toInt(), 3);
        // "required": true with a default is still optional: the default always fills it.
        QVERIFY(!spec(R"({"name":"a","type":"int","default":3,"required":true})").required);
    }

    void toJsonKeepsUnknownKeysAndRewritesKnownOnes()
    {
        FieldSpec f = spec(R"({"name":"a","type":"int","min":1,"x-widget":"slider","default":2})");
        f.max = 9;
        f.defaultValue.reset();
        f.required = false;
        const QJsonObject o = f.toJson();
        QCOMPARE(o.value(QLatin1String("x-widget")).toString(), QStringLiteral("slider"));
        QCOMPARE(o.value(QLatin1String("max")).toDouble(), 9.0);
        QVERIFY(!o.contains(QLatin1String("default")));
        QCOMPARE(o.value(QLatin1String("required")).toBool(true), false);
        QCOMPARE(o.value(QLatin1String("type")).toString(), QStringLiteral("int"));
        // And it reads back the same.
        QStringList problems;
        const auto back = FieldSpec::fromJson(o, QStringLiteral("f"), &problems);
        QVERIFY2(back.has_value(), qPrintable(problems.join(QLatin1Char('\n'))));
        QCOMPARE(back->max, std::optional<double>(9));
        QVERIFY(!back->required);
    }

    void jsonSchema()
    {
        const QJsonObject i = spec(R"({"name":"a","type":"int","min":1,"max":3,"desc":"D"})").jsonSchema();
        QCOMPARE(i.value(QLatin1String("type")).toString(), QStringLiteral("integer"));
        QCOMPARE(i.value(QLatin1String("minimum")).toDouble(), 1.0);
        QCOMPARE(i.value(QLatin1String("maximum")).toDouble(), 3.0);
        QCOMPARE(i.value(QLatin1String("description")).toString(), QStringLiteral("D"));
        const QJsonObject e = spec(R"({"name":"a","type":"enum","choices":["x","y"]})").jsonSchema();
        QCOMPARE(e.value(QLatin1String("enum")).toArray().size(), 2);
        const QJsonObject l = spec(R"({"name":"a","type":"list[float]"})").jsonSchema();
        QCOMPARE(l.value(QLatin1String("type")).toString(), QStringLiteral("array"));
        QCOMPARE(l.value(QLatin1String("items")).toObject().value(QLatin1String("type")).toString(),
            QStringLiteral("number"));
        QCOMPARE(spec(R"({"name":"a","type":"bool"})").jsonSchema().value(QLatin1String("type")).toString(),
            QStringLiteral("boolean"));
        QVERIFY(!spec(R"({"name":"a","type":"json"})").jsonSchema().contains(QLatin1String("type")));

        Signature sig;
        sig.outputs
            = { spec(R"({"name":"a","type":"str"})"), spec(R"({"name":"b","type":"int","required":false})") };
        const QJsonObject s = sig.outputSchema();
        QCOMPARE(s.value(QLatin1String("required")).toArray(), QJsonArray { QStringLiteral("a") });
        QCOMPARE(s.value(QLatin1String("additionalProperties")).toBool(true), false);
        QVERIFY(s.value(QLatin1String("properties")).toObject().contains(QLatin1String("b")));
        QVERIFY(!sig.rawTextOutput());
        sig.outputs.removeLast();
        QVERIFY(sig.rawTextOutput());
    }

    void validateInputs_data()
    {
        QTest::addColumn<QByteArray>("inputs");
        QTest::addColumn<QString>("expected"); // completed inputs, or empty when invalid
        QTest::addColumn<QStringList>("problems");
        QTest::newRow("defaults filled")
            << QByteArray(R"({"text":"hi"})")
            << QStringLiteral(R"({"max_words":60,"text":"hi","tone":"neutral"})") << QStringList();
        QTest::newRow("given values kept")
            << QByteArray(R"({"text":"hi","max_words":30.0,"tone":"upbeat","note":"n"})")
            << QStringLiteral(R"({"max_words":30,"note":"n","text":"hi","tone":"upbeat"})") << QStringList();
        QTest::newRow("missing required")
            << QByteArray(R"({})") << QString() << QStringList { QStringLiteral("text: required") };
        QTest::newRow("every problem")
            << QByteArray(R"({"text":1,"max_words":2,"tone":"sad","colour":"red"})") << QString()
            << QStringList { QStringLiteral("text: expected a string"),
                   QStringLiteral("max_words: must be ≥ 5"), QStringLiteral("tone: must be one of"),
                   QStringLiteral("colour: unknown input field") };
        QTest::newRow("null optional uses default")
            << QByteArray(R"({"text":"hi","max_words":null})")
            << QStringLiteral(R"({"max_words":60,"text":"hi","tone":"neutral"})") << QStringList();
    }

    void validateInputs()
    {
        QFETCH(QByteArray, inputs);
        QFETCH(QString, expected);
        QFETCH(QStringList, problems);
        const QList<FieldSpec> fields = {
            spec(R"({"name":"text","type":"str","multiline":true})"),
            spec(R"({"name":"max_words","type":"int","default":60,"min":5,"max":400})"),
            spec(R"({"name":"tone","type":"enum","choices":["neutral","upbeat"],"default":"neutral"})"),
            spec(R"({"name":"note","type":"str","required":false})"),
        };
        QStringList found;
        const auto out = ::validateInputs(fields, QJsonDocument::fromJson(inputs).object(), &found);
        if (expected.isEmpty()) {
            QVERIFY(!out.has_value());
            QCOMPARE(found.size(), problems.size());
            for (qsizetype i = 0; i < problems.size(); ++i)
                QVERIFY2(found.at(i).startsWith(problems.at(i)), qPrintable(found.at(i)));
        } else {
            QVERIFY2(out.has_value(), qPrintable(found.join(QLatin1Char('\n'))));
            QCOMPARE(as::compactJson(*out), expected);
        }
    }
};

QTEST_GUILESS_MAIN(TestFieldSpec)
#include "tst_fieldspec.moc"
