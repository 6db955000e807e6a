#include "core/common/Util.h"
#include "core/model/JsonSchema.h"

#include <QJsonArray>
#include <QTest>

// JsonSchema (docs/json-schema.md): every keyword of the subset validated with the exact
// message and JSON path, schema problems with their workspace path, and samples that fit.

using namespace Qt::StringLiterals;

namespace {

QJsonValue json(const QString &text)
{
    QString error;
    const QJsonValue v = as::parseJsonValue(text, &error);
    if (!error.isEmpty())
        qFatal("bad JSON in test row: %s: %s", qPrintable(text), qPrintable(error));
    return v;
}

} // namespace

class TestJsonSchema : public QObject
{
    Q_OBJECT

private slots:
    void validate_data();
    void validate();
    void problems_data();
    void problems();
    void sample_data();
    void sample();
    void objectSchema();
    void childPaths();
};

// Out of moc's sight: the rows' raw strings hold quotes and parentheses its tokenizer
// miscounts.
#ifndef Q_MOC_RUN

void TestJsonSchema::validate_data()
{
    QTest::addColumn<QString>("schema");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QStringList>("expected");
    auto row = [](const char *name, const QString &schema, const QString &value,
                   const QStringList &expected) { QTest::newRow(name) << schema << value << expected; };
    const QString order
        = uR"({"type":"object","properties":{"order_id":{"type":"string"},"qty":{"type":"integer","minimum":1}},"required":["order_id"],"additionalProperties":false})"_s;
    row("object fits", order, uR"({"order_id":"A1","qty":2})"_s, {});
    row("wrong property type", order, uR"({"order_id":5})"_s, { u"$.order_id: expected a string, got 5"_s });
    row("required missing", order, u"{}"_s, { u"$.order_id: missing (required)"_s });
    row("unknown property", order, uR"({"order_id":"A","x":1})"_s,
        { u"$.x: unknown property (expected order_id, qty)"_s });
    row("root not an object", order, u"[]"_s, { u"$: expected an object, got []"_s });
    row("below minimum", order, uR"({"order_id":"A","qty":0})"_s, { u"$.qty: expected at least 1, got 0"_s });
    row("integer with fraction", order, uR"({"order_id":"A","qty":1.5})"_s,
        { u"$.qty: expected an integer, got 1.5"_s });
    row("integer given as 2.0", order, uR"({"order_id":"A","qty":2.0})"_s, {});
    row("type list", uR"({"type":["string","null"]})"_s, u"3"_s,
        { u"$: expected a string or null, got 3"_s });
    row("type list of three", uR"({"type":["string","number","null"]})"_s, u"true"_s,
        { u"$: expected a string, a number or null, got true"_s });
    row("type list accepts null", uR"({"type":["string","null"]})"_s, u"null"_s, {});
    row("number accepts integer", uR"({"type":"number"})"_s, u"3"_s, {});
    row("enum", uR"({"enum":["a","b"]})"_s, uR"("c")"_s, { uR"($: expected one of "a", "b", got "c")"_s });
    row("enum numbers by value", uR"({"enum":[1,2]})"_s, u"2.0"_s, {});
    row("const", uR"({"const":{"k":[1]}})"_s, uR"({"k":[2]})"_s,
        { uR"($: expected {"k":[1]}, got {"k":[2]})"_s });
    row("const fits", uR"({"const":{"k":[1]}})"_s, uR"({"k":[1.0]})"_s, {});
    row("items", uR"({"type":"array","items":{"type":"integer"}})"_s, uR"([1,"x",3,null])"_s,
        { uR"($[1]: expected an integer, got "x")"_s, u"$[3]: expected an integer, got null"_s });
    row("min items", uR"({"type":"array","minItems":2})"_s, u"[1]"_s,
        { u"$: expected at least 2 items, got 1"_s });
    row("max items", uR"({"type":"array","maxItems":1})"_s, u"[1,2]"_s,
        { u"$: expected at most 1 item, got 2"_s });
    row("tuple items", uR"({"type":"array","items":[{"type":"string"},{"type":"number"}]})"_s,
        uR"(["a","b"])"_s, { uR"($[1]: expected a number, got "b")"_s });
    row("maximum", uR"({"maximum":10})"_s, u"12"_s, { u"$: expected at most 10, got 12"_s });
    row("exclusive minimum (number)", uR"({"exclusiveMinimum":0})"_s, u"0"_s,
        { u"$: expected more than 0, got 0"_s });
    row("exclusive maximum (number)", uR"({"exclusiveMaximum":5})"_s, u"5"_s,
        { u"$: expected less than 5, got 5"_s });
    row("exclusive minimum (draft 4)", uR"({"minimum":1,"exclusiveMinimum":true})"_s, u"1"_s,
        { u"$: expected more than 1, got 1"_s });
    row("exclusive maximum (draft 4)", uR"({"maximum":1,"exclusiveMaximum":true})"_s, u"1"_s,
        { u"$: expected less than 1, got 1"_s });
    row("min length counts code points", uR"({"minLength":3})"_s, u"\"😀😀\""_s,
        { u"$: expected at least 3 characters, got 2"_s });
    row("max length", uR"({"maxLength":2})"_s, uR"("abc")"_s,
        { u"$: expected at most 2 characters, got 3"_s });
    row("pattern", uR"({"pattern":"^[A-Z][0-9]+$"})"_s, uR"("a1")"_s,
        { uR"($: "a1" does not match the pattern "^[A-Z][0-9]+$")"_s });
    row("pattern is a search", uR"({"pattern":"[0-9]"})"_s, uR"("ab3")"_s, {});
    row("string keywords skip numbers", uR"({"minLength":3,"pattern":"x"})"_s, u"5"_s, {});
    row("anyOf none", uR"({"anyOf":[{"type":"string"},{"type":"null"}]})"_s, u"5"_s,
        { u"$: fits none of the anyOf schemas (expected a string, got 5; expected null, got 5)"_s });
    row("anyOf one", uR"({"anyOf":[{"type":"string"},{"type":"null"}]})"_s, u"null"_s, {});
    row("oneOf two", uR"({"oneOf":[{"type":"number"},{"type":"integer"}]})"_s, u"3"_s,
        { u"$: fits 2 of the oneOf schemas (exactly one expected)"_s });
    row("oneOf exactly one", uR"({"oneOf":[{"type":"number"},{"type":"integer"}]})"_s, u"3.5"_s, {});
    row("allOf", uR"({"allOf":[{"minimum":2},{"maximum":1}]})"_s, u"1.5"_s,
        { u"$: expected at least 2, got 1.5"_s, u"$: expected at most 1, got 1.5"_s });
    row("not", uR"({"not":{"type":"null"}})"_s, u"null"_s, { u"$: must not fit the schema under 'not'"_s });
    row("$ref to $defs",
        uR"({"type":"object","properties":{"a":{"$ref":"#/$defs/id"}},"$defs":{"id":{"type":"string"}}})"_s,
        uR"({"a":1})"_s, { u"$.a: expected a string, got 1"_s });
    row("$ref to definitions",
        uR"({"items":{"$ref":"#/definitions/n"},"definitions":{"n":{"type":"number"}}})"_s, uR"([true])"_s,
        { u"$[0]: expected a number, got true"_s });
    row("recursive $ref",
        uR"({"type":"object","properties":{"child":{"$ref":"#"},"v":{"type":"integer"}}})"_s,
        uR"({"child":{"child":{"v":"x"}}})"_s, { uR"($.child.child.v: expected an integer, got "x")"_s });
    row("$ref cycle stops", uR"({"$ref":"#"})"_s, u"1"_s,
        { u"$: the schema nests too deeply (a $ref cycle?)"_s });
    row("$ref names nothing", uR"({"$ref":"#/$defs/none"})"_s, u"1"_s,
        { u"$: the schema's $ref '#/$defs/none' names nothing"_s });
    row("false schema", uR"({"properties":{"x":false}})"_s, uR"({"x":1})"_s, { u"$.x: not allowed here"_s });
    row("additionalProperties schema", uR"({"additionalProperties":{"type":"string"}})"_s,
        uR"({"a":"x","b":2})"_s, { u"$.b: expected a string, got 2"_s });
    row("patternProperties",
        uR"({"patternProperties":{"^n_":{"type":"number"}},"additionalProperties":false})"_s,
        uR"({"n_a":"x","other":1})"_s,
        { uR"($.n_a: expected a number, got "x")"_s, u"$.other: unknown property (expected none)"_s });
    row("odd key in path", uR"({"properties":{"my key":{"type":"string"}}})"_s, uR"({"my key":1})"_s,
        { u"$['my key']: expected a string, got 1"_s });
    row("nested array of objects", uR"({"items":{"type":"object","required":["id"]}})"_s,
        uR"([{"id":1},{}])"_s, { u"$[1].id: missing (required)"_s });
    row("annotations ignored", uR"({"type":"string","format":"email","description":"d","title":"t"})"_s,
        uR"("not an email")"_s, {});
    row("empty schema accepts anything", u"{}"_s, uR"({"a":[1,null]})"_s, {});
}

void TestJsonSchema::validate()
{
    QFETCH(QString, schema);
    QFETCH(QString, value);
    QFETCH(QStringList, expected);
    const JsonSchema s(json(schema).toObject());
    QCOMPARE(s.validate(json(value)), expected);
}

void TestJsonSchema::problems_data()
{
    QTest::addColumn<QString>("schema");
    QTest::addColumn<QStringList>("expected");
    auto row = [](const char *name, const QString &schema, const QStringList &expected) {
        QTest::newRow(name) << schema << expected;
    };
    row("good", uR"({"type":"object","properties":{"a":{"type":["string","null"]}},"required":["a"]})"_s, {});
    row("unknown type", uR"({"type":"object","properties":{"city":{"type":"strng"}}})"_s,
        { u"p.properties.city.type: unknown type 'strng' (expected string, number, integer, boolean, object, array or null)"_s });
    row("type not a name", uR"({"type":3})"_s,
        { u"p.type: expected a type name or a list of them, got 3"_s });
    row("type list with a number", uR"({"type":["string",1]})"_s,
        { u"p.type: expected a type name, got 1"_s });
    row("properties not an object", uR"({"properties":[]})"_s,
        { u"p.properties: expected an object of schemas, got []"_s });
    row("property not a schema", uR"({"properties":{"a":"string"}})"_s,
        { uR"(p.properties.a: expected a schema (an object or true / false), got "string")"_s });
    row("required not names", uR"({"required":"a"})"_s,
        { uR"(p.required: expected a list of property names, got "a")"_s });
    row("enum not a list", uR"({"enum":"a"})"_s, { uR"(p.enum: expected a list of values, got "a")"_s });
    row("minimum not a number", uR"({"minimum":"1"})"_s, { uR"(p.minimum: expected a number, got "1")"_s });
    row("negative minLength", uR"({"minLength":-1})"_s,
        { u"p.minLength: expected a whole number ≥ 0, got -1"_s });
    row("bad pattern", uR"({"pattern":"(["})"_s,
        { u"p.pattern: invalid regular expression: missing terminating ] for character class"_s });
    row("empty anyOf", uR"({"anyOf":[]})"_s, { u"p.anyOf: expected a non-empty list of schemas"_s });
    row("bad anyOf branch", uR"({"anyOf":[{"type":"nope"}]})"_s,
        { u"p.anyOf[0].type: unknown type 'nope' (expected string, number, integer, boolean, object, array or null)"_s });
    row("bad items", uR"({"items":{"minItems":"x"}})"_s,
        { uR"(p.items.minItems: expected a whole number ≥ 0, got "x")"_s });
    row("dangling $ref", uR"({"properties":{"a":{"$ref":"#/$defs/missing"}}})"_s,
        { u"p.properties.a.$ref: '#/$defs/missing' names nothing in this schema (only local references such as #/$defs/name are supported)"_s });
    row("remote $ref", uR"({"$ref":"https://example.com/s.json"})"_s,
        { u"p.$ref: 'https://example.com/s.json' names nothing in this schema (only local references such as #/$defs/name are supported)"_s });
    row("bad $defs entry", uR"({"$defs":{"x":{"type":"strin"}}})"_s,
        { u"p.$defs.x.type: unknown type 'strin' (expected string, number, integer, boolean, object, array or null)"_s });
    row("boolean schemas", uR"({"properties":{"a":true,"b":false},"additionalProperties":false})"_s, {});
}

void TestJsonSchema::problems()
{
    QFETCH(QString, schema);
    QFETCH(QStringList, expected);
    QCOMPARE(JsonSchema(json(schema).toObject()).problems(u"p"_s), expected);
}

void TestJsonSchema::sample_data()
{
    QTest::addColumn<QString>("schema");
    QTest::addColumn<QString>("expected");
    auto row = [](const char *name, const QString &schema, const QString &expected) {
        QTest::newRow(name) << schema << expected;
    };
    row("default wins", uR"({"type":"integer","default":7,"enum":[1,7]})"_s, u"7"_s);
    row("const", uR"({"const":"fixed"})"_s, uR"("fixed")"_s);
    row("enum first", uR"({"type":"string","enum":["b","a"]})"_s, uR"("b")"_s);
    row("examples first", uR"({"type":"string","examples":["A1","B2"]})"_s, uR"("A1")"_s);
    row("string", uR"({"type":"string"})"_s, uR"("example")"_s);
    row("string min length", uR"({"type":"string","minLength":10})"_s, uR"("examplexxx")"_s);
    row("string max length", uR"({"type":"string","maxLength":3})"_s, uR"("exa")"_s);
    row("string format", uR"({"type":"string","format":"date"})"_s, uR"("2026-01-01")"_s);
    row("integer unbounded", uR"({"type":"integer"})"_s, u"0"_s);
    row("integer minimum", uR"({"type":"integer","minimum":5})"_s, u"5"_s);
    row("integer fractional minimum", uR"({"type":"integer","minimum":2.5})"_s, u"3"_s);
    row("integer exclusive minimum", uR"({"type":"integer","exclusiveMinimum":0})"_s, u"1"_s);
    row("integer negative maximum", uR"({"type":"integer","maximum":-0.5})"_s, u"-1"_s);
    row("number exclusive range", uR"({"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1})"_s,
        u"0.5"_s);
    row("boolean", uR"({"type":"boolean"})"_s, u"false"_s);
    row("nullable string", uR"({"type":["null","string"]})"_s, uR"("example")"_s);
    row("array min items", uR"({"type":"array","items":{"type":"integer","minimum":2},"minItems":2})"_s,
        u"[2,2]"_s);
    row("array one item", uR"({"type":"array","items":{"type":"string"}})"_s, uR"(["example"])"_s);
    row("array max zero", uR"({"type":"array","maxItems":0})"_s, u"[]"_s);
    row("object",
        uR"({"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer","minimum":1}},"required":["city"]})"_s,
        uR"({"city":"example","days":1})"_s);
    row("object required only", uR"({"type":"object","required":["q"]})"_s, uR"({"q":"example"})"_s);
    row("$ref", uR"({"properties":{"a":{"$ref":"#/$defs/n"}},"$defs":{"n":{"type":"number","minimum":3}}})"_s,
        uR"({"a":3})"_s);
    row("anyOf first", uR"({"anyOf":[{"type":"integer","minimum":4},{"type":"string"}]})"_s, u"4"_s);
    row("allOf merged",
        uR"({"allOf":[{"properties":{"a":{"type":"string"}}},{"properties":{"b":{"const":1}}}]})"_s,
        uR"({"a":"example","b":1})"_s);
    row("nothing known", u"{}"_s, u"null"_s);
}

void TestJsonSchema::sample()
{
    QFETCH(QString, schema);
    QFETCH(QString, expected);
    const JsonSchema s(json(schema).toObject());
    const QJsonValue v = s.sample();
    QCOMPARE(as::compactJson(v), as::compactJson(json(expected)));
    // Every sample fits its own schema.
    QCOMPARE(s.validate(v), QStringList());
}

void TestJsonSchema::objectSchema()
{
    QVERIFY(JsonSchema(json(uR"({"type":"object"})"_s).toObject()).isObjectSchema());
    QVERIFY(JsonSchema(json(uR"({"type":["object"]})"_s).toObject()).isObjectSchema());
    QVERIFY(JsonSchema(json(uR"({"properties":{}})"_s).toObject()).isObjectSchema());
    QVERIFY(!JsonSchema(json(uR"({"type":"string"})"_s).toObject()).isObjectSchema());
    QVERIFY(!JsonSchema(json(uR"({"type":["object","null"]})"_s).toObject()).isObjectSchema());
    QVERIFY(!JsonSchema(QJsonObject()).isObjectSchema());
}

void TestJsonSchema::childPaths()
{
    QCOMPARE(JsonSchema::childPath(u"$"_s, u"a_1"_s), u"$.a_1"_s);
    QCOMPARE(JsonSchema::childPath(u"$"_s, u"1a"_s), u"$['1a']"_s);
    QCOMPARE(JsonSchema::childPath(u"$.x"_s, u"it's"_s), u"$.x['it\\'s']"_s);
    QCOMPARE(JsonSchema::indexPath(u"$.x"_s, 4), u"$.x[4]"_s);
}

#endif // Q_MOC_RUN

QTEST_GUILESS_MAIN(TestJsonSchema)
#include "tst_jsonschema.moc"
