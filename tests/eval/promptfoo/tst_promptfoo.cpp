#include "core/eval/Promptfoo.h"
#include "tests/support/TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

// The promptfoo importer's mapping (docs/promptfoo.md): every supported key and assertion type
// onto the expected native dataset JSON, every unsupported one reported at its exact YAML path,
// the defaultTest merge, file:// loading, provider ids and the run hints.
class TestPromptfoo final : public QObject
{
    Q_OBJECT

private slots:
    void assertionMapping_data();
    void assertionMapping();
    void unsupportedIsReported_data();
    void unsupportedIsReported();
    void providerIds_data();
    void providerIds();
    void providerEntriesAreShared();
    void variantsAndTarget();
    void defaultTestMerge();
    void noTestsRunsTheDefaultsOnce();
    void caseIds();
    void testFiles();
    void varsFromFiles();
    void defaultTestFromFile();
    void hints();
    void invalidYamlSaysWhere();
    void exampleConfigMaps();
    void importValidatesAsADataset();
    void importHashesEveryFileRead();
};

namespace {

QJsonValue parse(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + text + "]", &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad expected JSON: %s: %s", text.constData(), qPrintable(error.errorString()));
    return doc.array().at(0);
}

QString compact(const QJsonValue &v)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray { v }).toJson(QJsonDocument::Compact))
        .mid(1)
        .chopped(1);
}

struct Mapped
{
    QJsonObject dataset;
    QStringList problems;
    PromptfooHints hints;
    QString error;
};

Mapped mapYaml(const QByteArray &yaml, const QString &dir = QStringLiteral("/nonexistent"))
{
    Mapped m;
    QList<DatasetProblem> problems;
    const Result<QJsonObject> r
        = promptfoo::toDatasetJson(yaml, dir + QStringLiteral("/promptfooconfig.yaml"), &problems, &m.hints);
    m.problems = toStrings(problems);
    if (r)
        m.dataset = *r;
    else
        m.error = r.error();
    return m;
}

QJsonObject caseAt(const Mapped &m, int i)
{
    return m.dataset.value(u"cases").toArray().at(i).toObject();
}

// A config with one echo provider, one prompt and one test whose asserts are `asserts` (YAML
// list items, indented for "    assert:").
QByteArray withAsserts(const QByteArray &asserts)
{
    return "prompts: ['Say {{word}}']\n"
           "providers: [echo]\n"
           "tests:\n"
           "  - vars: {word: hi, expected: Hello}\n"
           "    assert:\n"
        + asserts;
}

} // namespace

void TestPromptfoo::assertionMapping_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QByteArray>("expected");
    auto row = [](const char *name, const char *yaml, const char *expected) {
        QTest::newRow(name) << QByteArray(yaml) << QByteArray(expected);
    };
    row("equals string", "      - {type: equals, value: Hello}", R"({"type":"equals","value":"Hello"})");
    row("equals number is its text", "      - {type: equals, value: 42}",
        R"({"type":"equals","value":"42"})");
    row("equals object compares JSON", "      - {type: equals, value: {a: 1}}",
        R"({"type":"equals","value":{"a":1}})");
    row("equals renders the vars", "      - {type: equals, value: '{{expected}}'}",
        R"({"type":"equals","value":"Hello"})");
    row("contains", "      - {type: contains, value: ell}", R"({"type":"contains","value":"ell"})");
    row("icontains", "      - {type: icontains, value: HELL}", R"({"type":"icontains","value":"HELL"})");
    row("contains-any list", "      - {type: contains-any, value: [a, '{{word}}']}",
        R"({"type":"contains","value":["a","hi"],"match":"any"})");
    row("contains-all comma string with quotes", "      - {type: contains-all, value: 'a, \"b, c\" ,d'}",
        R"({"type":"contains","value":["a","b, c","d"],"match":"all"})");
    row("icontains-any", "      - {type: icontains-any, value: [A, B]}",
        R"({"type":"icontains","value":["A","B"],"match":"any"})");
    row("icontains-all", "      - {type: icontains-all, value: [A, B]}",
        R"({"type":"icontains","value":["A","B"],"match":"all"})");
    row("starts-with", "      - {type: starts-with, value: Say}", R"({"type":"starts_with","value":"Say"})");
    row("regex", "      - {type: regex, value: '^Say \\w+$'}", R"({"type":"regex","value":"^Say \\w+$"})");
    row("is-json without schema", "      - type: is-json", R"({"type":"is_json"})");
    row("is-json with a schema", "      - {type: is-json, value: {type: object, required: [a]}}",
        R"({"type":"json_schema","schema":{"type":"object","required":["a"]}})");
    row("is-json with a schema as text", "      - {type: is-json, value: '{\"type\": \"array\"}'}",
        R"({"type":"json_schema","schema":{"type":"array"}})");
    row("contains-json", "      - type: contains-json", R"({"type":"is_json","extract":true})");
    row("contains-json with a schema", "      - {type: contains-json, value: {type: object}}",
        R"({"type":"json_schema","schema":{"type":"object"},"extract":true})");
    row("levenshtein default distance", "      - {type: levenshtein, value: Say hi}",
        R"({"type":"levenshtein","value":"Say hi","max_distance":5})");
    row("levenshtein threshold", "      - {type: levenshtein, value: Say hi, threshold: 2}",
        R"({"type":"levenshtein","value":"Say hi","max_distance":2})");
    row("latency", "      - {type: latency, threshold: 1500}", R"({"type":"max_latency_ms","value":1500})");
    row("cost", "      - {type: cost, threshold: 0.002}", R"({"type":"max_cost_usd","value":0.002})");
    row("llm-rubric", "      - {type: llm-rubric, value: 'Greets {{word}}', threshold: 0.7}",
        R"({"type":"judge","rubric":"Greets hi","threshold":0.7})");
    row("llm-rubric with a grader",
        "      - {type: llm-rubric, value: Polite, provider: 'openai:gpt-4o-mini'}",
        R"({"type":"judge","rubric":"Polite","model":{"provider":"pf-openai","name":"gpt-4o-mini"}})");
    row("model-graded-closedqa", "      - {type: model-graded-closedqa, value: 'Is it a greeting?'}",
        R"({"type":"judge","rubric":"Is it a greeting?","template":"closedqa"})");
    row("factuality", "      - {type: factuality, value: 'The word is {{word}}'}",
        R"({"type":"judge","rubric":"Factually consistent with the expected answer","expected":"The word is hi","template":"factuality"})");
    row("not- prefix", "      - {type: not-contains, value: bye}",
        R"({"type":"contains","not":true,"value":"bye"})");
    row("not-llm-rubric", "      - {type: not-llm-rubric, value: Rude}",
        R"({"type":"judge","not":true,"rubric":"Rude"})");
    row("weight and metric", "      - {type: contains, value: hi, weight: 2, metric: greeting}",
        R"({"type":"contains","value":"hi","weight":2,"metric":"greeting"})");
}

// Each supported type (and not-, weight, metric, threshold, rendering) onto its native form.
void TestPromptfoo::assertionMapping()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QByteArray, expected);
    const Mapped m = mapYaml(withAsserts(yaml + "\n"));
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    QCOMPARE(compact(caseAt(m, 0).value(u"assert").toArray().at(0)), compact(parse(expected)));
}

void TestPromptfoo::unsupportedIsReported_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QStringList>("expected");
    auto row = [](const char *name, const QByteArray &yaml, const QStringList &expected) {
        QTest::newRow(name) << yaml << expected;
    };
    row("assertion type", withAsserts("      - {type: contains, value: a}\n      - type: similar\n"),
        { QStringLiteral("tests[0].assert[1].type: 'similar' is not supported (line 7, column 15)") });
    row("unknown assertion key",
        withAsserts("      - {type: contains, value: a, transform: output.trim()}\n"),
        { QStringLiteral("tests[0].assert[0].transform: not supported (line 6, column 47)") });
    row("threshold on a pass/fail check", withAsserts("      - {type: equals, value: a, threshold: 0.5}\n"),
        { QStringLiteral("tests[0].assert[0].threshold: not supported for 'equals' (a pass/fail check) (line "
                         "6, column 45)") });
    row("not-latency", withAsserts("      - {type: not-latency, threshold: 10}\n"),
        { QStringLiteral("tests[0].assert[0].type: 'not-latency' is not supported (line 6, column 16)") });
    row("latency without threshold", withAsserts("      - type: latency\n"),
        { QStringLiteral(
            "tests[0].assert[0]: 'latency' needs a threshold (milliseconds) (line 6, column 9)") });
    row("empty contains", withAsserts("      - {type: contains, value: ''}\n"),
        { QStringLiteral("tests[0].assert[0].value: must not be empty (line 6, column 33)") });
    row("invalid regex", withAsserts("      - {type: regex, value: 'a(b'}\n"),
        { QStringLiteral(
            "tests[0].assert[0].value: invalid regular expression: missing closing parenthesis at "
            "offset 3 (line 6, column 30)") });
    row("filter in an assertion value", withAsserts("      - {type: equals, value: '{{ word | upper }}'}\n"),
        { QStringLiteral("tests[0].assert[0].value: '{{ word | upper }}': filters are not supported (line 6, "
                         "column 31)") });
    row("assert not a list", "prompts: [a]\nproviders: [echo]\ntests:\n  - assert: {type: equals}\n",
        { QStringLiteral("tests[0].assert: expected a list of assertions (line 4, column 13)") });
    row("top-level keys",
        "prompts: [a]\nproviders: [echo]\nscenarios: []\nenv: {A: b}\nredteam: {}\nsharing: false\n",
        { QStringLiteral("env: not supported (line 4, column 6)"),
            QStringLiteral("redteam: not supported (line 5, column 10)"),
            QStringLiteral("scenarios: not supported (line 3, column 12)"),
            QStringLiteral("sharing: not supported (line 6, column 10)") });
    row("unknown provider id", "prompts: [a]\nproviders:\n  - echo\n  - bedrock:anthropic.claude-v2\n",
        { QStringLiteral(
            "providers[1]: unknown provider id 'bedrock:anthropic.claude-v2' (supported: openai:MODEL, "
            "openai:chat:MODEL, anthropic:messages:MODEL, ollama:chat:MODEL, echo) (line 4, column 5)") });
    row("openai completion", "prompts: [a]\nproviders: ['openai:completion:davinci']\n",
        { QStringLiteral(
            "providers[0]: unknown provider id 'openai:completion:davinci' (supported: openai:MODEL, "
            "openai:chat:MODEL, anthropic:messages:MODEL, ollama:chat:MODEL, echo) (line 2, column 13)") });
    row("provider config key",
        "prompts: [a]\nproviders:\n  - id: openai:gpt-4o\n    config: {temperature: 0, top_p: 0.5}\n",
        { QStringLiteral("providers[0].config.top_p: not supported (line 4, column 37)") });
    row("provider key", "prompts: [a]\nproviders:\n  - {id: echo, transform: output}\n",
        { QStringLiteral("providers[0].transform: not supported (line 3, column 27)") });
    row("targets and providers", "prompts: [a]\nproviders: [echo]\ntargets: [echo]\n",
        { QStringLiteral(
            "targets: give either providers or targets (its other name), not both (line 3, column 10)") });
    row("test keys", "prompts: [a]\nproviders: [echo]\ntests:\n  - {provider: echo, options: {prefix: x}}\n",
        { QStringLiteral("tests[0].provider: not supported (line 4, column 16)"),
            QStringLiteral("tests[0].options.prefix: not supported (line 4, column 40)") });
    row("list vars expand", "prompts: ['{{x}}']\nproviders: [echo]\ntests:\n  - vars: {x: [a, b]}\n",
        { QStringLiteral(
            "tests[0].vars.x: a list expands into one test per item in promptfoo, which is not "
            "supported (options.disableVarExpansion: true passes the list as one value) (line 4, "
            "column 15)") });
    row("nunjucks tag in a prompt", "prompts: ['{% if x %}yes{% endif %}']\nproviders: [echo]\n",
        { QStringLiteral("prompts[0]: '{% if x %}': Nunjucks tags are not supported (line 1, column 11)") });
    row("nunjucks comment in a prompt", "prompts: ['{# note #}hi']\nproviders: [echo]\n",
        { QStringLiteral(
            "prompts[0]: '{# note #}': Nunjucks comments are not supported (line 1, column 11)") });
    row("filter in a prompt", "prompts:\n  - 'Hi {{ name | upper }}'\nproviders: [echo]\n",
        { QStringLiteral("prompts[0]: '{{ name | upper }}': filters are not supported (line 2, column 5)") });
    row("expression in a prompt", "prompts: ['{{ a + b }}']\nproviders: [echo]\n",
        { QStringLiteral(
            "prompts[0]: '{{ a + b }}': only {{ name }} and {{ name.key }} placeholders are supported "
            "(line 1, column 11)") });
    row("tests generator", "prompts: [a]\nproviders: [echo]\ntests: {path: gen.py}\n",
        { QStringLiteral("tests: test generators ({path, config}) are not supported (line 3, column 8)") });
    row("tests glob", "prompts: [a]\nproviders: [echo]\ntests: file://cases/*.yaml\n",
        { QStringLiteral("tests: 'file://cases/*.yaml': file globs are not supported (line 3, column 8)") });
    row("prompts and providers missing", "tests: []\n",
        { QStringLiteral("prompts: missing"), QStringLiteral("providers: missing") });
    row("run options",
        "prompts: [a]\nproviders: [echo]\nevaluateOptions: {delay: 100}\ncommandLineOptions: {filterPattern: "
        "x}\n",
        { QStringLiteral("evaluateOptions.delay: not supported (line 3, column 26)"),
            QStringLiteral("commandLineOptions.filterPattern: not supported (line 4, column 37)") });
    row("defaultTest key", "prompts: [a]\nproviders: [echo]\ndefaultTest: {provider: echo}\n",
        { QStringLiteral("defaultTest.provider: not supported (line 3, column 25)") });
    row("chat prompt file", "prompts: [file://chat.json]\nproviders: [echo]\n",
        { QStringLiteral("prompts[0]: 'file://chat.json': only text prompt files are supported (not .json) "
                         "(line 1, column 11)") });
    row("vars computed by code", "prompts: [a]\nproviders: [echo]\ntests:\n  - vars: {x: file://make.py}\n",
        { QStringLiteral(
            "tests[0].vars.x: 'file://make.py': only text, .json and .yaml files can be loaded (not .py) "
            "(line 4, column 15)") });
}

// Each unsupported key, provider id or assertion type is a problem at its exact YAML path.
void TestPromptfoo::unsupportedIsReported()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QStringList, expected);
    const Mapped m = mapYaml(yaml);
    QCOMPARE(m.problems, expected);
    QVERIFY(!m.error.isEmpty()); // any problem fails the import
    QCOMPARE(m.error.split(QLatin1Char('\n')), expected);
}

void TestPromptfoo::providerIds_data()
{
    QTest::addColumn<QByteArray>("provider");
    QTest::addColumn<QByteArray>("model");
    QTest::addColumn<QByteArray>("entry");
    auto row = [](const char *name, const char *provider, const char *model, const char *entry) {
        QTest::newRow(name) << QByteArray(provider) << QByteArray(model) << QByteArray(entry);
    };
    row("openai:MODEL", "'openai:gpt-4o-mini'", R"({"name":"gpt-4o-mini","provider":"pf-openai"})",
        R"({"id":"pf-openai","kind":"openai","base_url":"https://api.openai.com/v1","api_key_env":"OPENAI_API_KEY"})");
    row("openai:chat:MODEL", "'openai:chat:gpt-4o'", R"({"name":"gpt-4o","provider":"pf-openai"})",
        R"({"id":"pf-openai","kind":"openai","base_url":"https://api.openai.com/v1","api_key_env":"OPENAI_API_KEY"})");
    row("anthropic:messages:MODEL", "'anthropic:messages:claude-3-5-haiku-latest'",
        R"({"name":"claude-3-5-haiku-latest","provider":"pf-anthropic"})",
        R"({"id":"pf-anthropic","kind":"anthropic","base_url":"https://api.anthropic.com","api_key_env":"ANTHROPIC_API_KEY"})");
    row("ollama:chat:MODEL with a tag", "'ollama:chat:llama3.2:3b'",
        R"({"name":"llama3.2:3b","provider":"pf-ollama"})",
        R"({"id":"pf-ollama","kind":"ollama","base_url":"http://localhost:11434"})");
    row("echo", "echo", R"({"name":"echo","provider":"pf-echo"})",
        R"({"id":"pf-echo","kind":"scripted","echo":true,"ttft_ms":0,"tokens_per_second":0})");
    row("config",
        "{id: 'openai:chat:m', config: {temperature: 0.2, max_tokens: 64, apiBaseUrl: "
        "'http://127.0.0.1:8080/v1', apiKeyEnvar: LOCAL_KEY}}",
        R"({"name":"m","provider":"pf-openai","temperature":0.2,"max_tokens":64})",
        R"({"id":"pf-openai","kind":"openai","base_url":"http://127.0.0.1:8080/v1","api_key_env":"LOCAL_KEY"})");
    row("anthropic base url", "{id: 'anthropic:messages:c', config: {apiBaseUrl: 'http://127.0.0.1:9/'}}",
        R"({"name":"c","provider":"pf-anthropic"})",
        R"({"id":"pf-anthropic","kind":"anthropic","base_url":"http://127.0.0.1:9/","api_key_env":"ANTHROPIC_API_KEY"})");
}

// Provider ids (and their config) onto a variant model and a provider entry of the target.
void TestPromptfoo::providerIds()
{
    QFETCH(QByteArray, provider);
    QFETCH(QByteArray, model);
    QFETCH(QByteArray, entry);
    const Mapped m = mapYaml("prompts: [hi]\nproviders:\n  - " + provider + "\n");
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    const QJsonObject variant = m.dataset.value(u"variants").toArray().at(0).toObject();
    QCOMPARE(compact(variant.value(u"model")), compact(parse(model)));
    const QJsonArray entries = m.dataset.value(u"target").toObject().value(u"providers").toArray();
    QCOMPARE(entries.size(), 1);
    QCOMPARE(compact(entries.at(0)), compact(parse(entry)));
}

// One entry per distinct endpoint: two models of one endpoint share it; another base URL gets
// its own ("pf-openai-2").
void TestPromptfoo::providerEntriesAreShared()
{
    const Mapped m = mapYaml("prompts: [hi]\nproviders:\n  - openai:a\n  - openai:chat:b\n"
                             "  - {id: 'openai:c', config: {apiBaseUrl: 'http://127.0.0.1:1/v1'}}\n");
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    const QJsonArray entries = m.dataset.value(u"target").toObject().value(u"providers").toArray();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries.at(1).toObject().value(u"id").toString(), QStringLiteral("pf-openai-2"));
    const QJsonArray variants = m.dataset.value(u"variants").toArray();
    QCOMPARE(variants.at(1).toObject().value(u"model").toObject().value(u"provider").toString(),
        QStringLiteral("pf-openai"));
    QCOMPARE(variants.at(2).toObject().value(u"model").toObject().value(u"provider").toString(),
        QStringLiteral("pf-openai-2"));
}

// One variant per provider × prompt, named "<provider label|id> · <prompt label|pN>"; the target
// is an inline prompt agent whose inputs are the vars used.
void TestPromptfoo::variantsAndTarget()
{
    const Mapped m = mapYaml(R"(description: Greeting suite
prompts:
  - 'Say {{ word }} to {{ person.name }}'
  - {raw: 'Shout {{word}}', label: shout}
providers:
  - echo
  - {id: 'openai:gpt-4o-mini', label: mini}
tests:
  - vars: {word: hi, person: {name: Ann}}
  - vars: {word: yo, extra: 3}
)");
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    QCOMPARE(m.dataset.value(u"name").toString(), QStringLiteral("Greeting suite"));
    QCOMPARE(m.dataset.value(u"format").toString(), QStringLiteral("agentstudio-eval/1"));
    const QJsonArray variants = m.dataset.value(u"variants").toArray();
    QStringList names;
    for (const QJsonValue &v : variants)
        names.append(v.toObject().value(u"name").toString());
    QCOMPARE(names,
        QStringList({ QStringLiteral("echo · p1"), QStringLiteral("echo · shout"),
            QStringLiteral("mini · p1"), QStringLiteral("mini · shout") }));
    QCOMPARE(variants.at(1).toObject().value(u"prompt").toString(), QStringLiteral("Shout {{word}}"));
    const QJsonObject spec = m.dataset.value(u"target").toObject().value(u"agent_spec").toObject();
    QCOMPARE(compact(spec), compact(parse(R"({"id":"prompt","name":"promptfoo prompt",
        "model":{"name":"echo","provider":"pf-echo"},"prompt":"Say {{ word }} to {{ person.name }}",
        "signature":{"inputs":[{"name":"person","type":"json","required":false},{"name":"word","type":"str"},
        {"name":"extra","type":"json","required":false}],"outputs":[{"name":"output","type":"str"}]}})")));
}

// defaultTest merged into each case as promptfoo does: vars (the case's win), asserts (the
// defaults' first, dropped by disableDefaultAsserts), threshold (case ?? default), metadata
// (shallow, the case's win); defaultTest.options.provider is the dataset's judge, a case's
// options.provider its own judges' model.
void TestPromptfoo::defaultTestMerge()
{
    const Mapped m = mapYaml(R"(prompts: ['{{a}} {{b}}']
providers: [echo]
defaultTest:
  vars: {a: A, b: B}
  assert:
    - {type: contains, value: '{{a}}'}
  threshold: 0.5
  metadata: {tier: smoke, owner: qa}
  options: {provider: 'openai:grader'}
tests:
  - description: Overrides
    vars: {b: own}
    assert:
      - {type: llm-rubric, value: ok}
    threshold: 0.8
    metadata: {tier: full}
    options: {provider: 'anthropic:messages:judge'}
  - description: Keeps the defaults
  - description: No default asserts
    options: {disableDefaultAsserts: true}
    assert:
      - {type: equals, value: x}
)");
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    QCOMPARE(compact(m.dataset.value(u"judge")),
        compact(parse(R"({"model":{"name":"grader","provider":"pf-openai"}})")));
    QCOMPARE(compact(caseAt(m, 0)), compact(parse(R"({"id":"overrides","description":"Overrides",
        "inputs":{"a":"A","b":"own"},"metadata":{"tier":"full","owner":"qa"},"threshold":0.8,
        "assert":[{"type":"contains","value":"A"},
                  {"type":"judge","rubric":"ok","model":{"name":"judge","provider":"pf-anthropic"}}]})")));
    QCOMPARE(
        compact(caseAt(m, 1)), compact(parse(R"({"id":"keeps-the-defaults","description":"Keeps the defaults",
        "inputs":{"a":"A","b":"B"},"metadata":{"tier":"smoke","owner":"qa"},"threshold":0.5,
        "assert":[{"type":"contains","value":"A"}]})")));
    QCOMPARE(compact(caseAt(m, 2).value(u"assert")), compact(parse(R"([{"type":"equals","value":"x"}])")));
    QCOMPARE(caseAt(m, 2).value(u"threshold").toDouble(), 0.5);
}

// Without tests, promptfoo runs each prompt once with the defaults: one case.
void TestPromptfoo::noTestsRunsTheDefaultsOnce()
{
    const Mapped m = mapYaml("prompts: ['{{a}}']\nproviders: [echo]\ndefaultTest:\n  vars: {a: x}\n"
                             "  assert: [{type: equals, value: x}]\n");
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    QCOMPARE(compact(m.dataset.value(u"cases")),
        compact(parse(R"([{"id":"case-1","inputs":{"a":"x"},"assert":[{"type":"equals","value":"x"}]}])")));
}

// Case ids: the description's slug, else case-N, unique (-2, -3 on clashes); vars may use
// other vars.
void TestPromptfoo::caseIds()
{
    const Mapped m = mapYaml(R"(prompts: ['{{item}}']
providers: [echo]
tests:
  - {description: 'Tweet: about cats!', vars: {topic: cats, item: 'tweet about {{topic}}'}}
  - {description: 'Tweet: about cats!'}
  - {vars: {item: x}}
)");
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    QCOMPARE(caseAt(m, 0).value(u"id").toString(), QStringLiteral("tweet-about-cats"));
    QCOMPARE(caseAt(m, 1).value(u"id").toString(), QStringLiteral("tweet-about-cats-2"));
    QCOMPARE(caseAt(m, 2).value(u"id").toString(), QStringLiteral("case-3"));
    QCOMPARE(caseAt(m, 0).value(u"inputs").toObject().value(u"item").toString(),
        QStringLiteral("tweet about cats"));
}

// tests from file:// yaml, json, jsonl and csv, mixed with inline ones; problems inside a file
// name the file, the position in it and its line.
void TestPromptfoo::testFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    testsupport::writeFile(dir.path(), QStringLiteral("a.yaml"),
        "- vars: {q: from yaml}\n  assert:\n    - type: equals\n      value: '{{q}}'\n");
    testsupport::writeFile(dir.path(), QStringLiteral("b.json"), R"([{"vars": {"q": "from json"}}])");
    testsupport::writeFile(dir.path(), QStringLiteral("c.jsonl"),
        "{\"vars\": {\"q\": \"jsonl 1\"}}\n\n{\"vars\": {\"q\": \"jsonl 2\"}, \"assert\": [{\"type\": "
        "\"similar\"}]}\n");
    testsupport::writeFile(dir.path(), QStringLiteral("d.csv"),
        "q,__description\n\"csv, quoted\",First row\nplain,\"multi\nline\"\n");
    const Mapped m
        = mapYaml("prompts: ['{{q}}']\nproviders: [echo]\ntests:\n  - file://a.yaml\n  - file://b.json\n"
                  "  - {vars: {q: inline}}\n  - file://c.jsonl\n  - file://d.csv\n",
            dir.path());
    QCOMPARE(m.problems,
        QStringList {
            QStringLiteral("c.jsonl:[1].assert[0].type: 'similar' is not supported (line 3, column 48)") });

    testsupport::writeFile(dir.path(), QStringLiteral("c.jsonl"),
        "{\"vars\": {\"q\": \"jsonl 1\"}}\n\n{\"vars\": {\"q\": \"jsonl 2\"}}\n");
    const Mapped ok
        = mapYaml("prompts: ['{{q}}']\nproviders: [echo]\ntests:\n  - file://a.yaml\n  - file://b.json\n"
                  "  - {vars: {q: inline}}\n  - file://c.jsonl\n  - file://d.csv\n",
            dir.path());
    QVERIFY2(ok.problems.isEmpty(), qPrintable(ok.problems.join(QLatin1Char('\n'))));
    QStringList qs;
    for (const QJsonValue &c : ok.dataset.value(u"cases").toArray())
        qs.append(c.toObject().value(u"inputs").toObject().value(u"q").toString());
    QCOMPARE(qs,
        QStringList({ QStringLiteral("from yaml"), QStringLiteral("from json"), QStringLiteral("inline"),
            QStringLiteral("jsonl 1"), QStringLiteral("jsonl 2"), QStringLiteral("csv, quoted"),
            QStringLiteral("plain") }));
    QCOMPARE(compact(caseAt(ok, 0).value(u"assert")),
        compact(parse(R"([{"type":"equals","value":"from yaml"}])")));
    QCOMPARE(caseAt(ok, 5).value(u"description").toString(), QStringLiteral("First row"));
    QCOMPARE(caseAt(ok, 6).value(u"description").toString(), QStringLiteral("multi\nline"));

    // A whole tests file, and a CSV column promptfoo gives a meaning the importer does not read.
    testsupport::writeFile(dir.path(), QStringLiteral("e.csv"), "q,__expected\nx,contains:x\n");
    const Mapped csv = mapYaml("prompts: ['{{q}}']\nproviders: [echo]\ntests: file://e.csv\n", dir.path());
    QCOMPARE(csv.problems,
        QStringList {
            QStringLiteral("tests: e.csv: column '__expected' is not supported (line 3, column 8)") });
    const Mapped missing
        = mapYaml("prompts: ['{{q}}']\nproviders: [echo]\ntests: file://none.yaml\n", dir.path());
    QCOMPARE(missing.problems.size(), 1);
    QVERIFY2(missing.problems.at(0).startsWith(QStringLiteral("tests: cannot read 'none.yaml': ")),
        qPrintable(missing.problems.at(0)));
}

// vars given as file:// are loaded at import: text as a string, .json/.yaml parsed; `vars`
// itself may be a file.
void TestPromptfoo::varsFromFiles()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    testsupport::writeFile(dir.path(), QStringLiteral("doc.txt"), "Line one\nLine two\n");
    testsupport::writeFile(dir.path(), QStringLiteral("obj.json"), R"({"k": [1, 2]})");
    testsupport::writeFile(dir.path(), QStringLiteral("obj.yaml"), "k: v\nn: 3\n");
    testsupport::writeFile(dir.path(), QStringLiteral("vars.yaml"), "text: file://doc.txt\nbad: {x: 1}\n");
    const Mapped m = mapYaml(R"(prompts: ['{{text}}']
providers: [echo]
tests:
  - vars: {text: file://doc.txt, j: file://obj.json, y: file://obj.yaml}
  - vars: file://vars.yaml
)",
        dir.path());
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    QCOMPARE(compact(caseAt(m, 0).value(u"inputs")),
        compact(parse(R"({"text":"Line one\nLine two\n","j":{"k":[1,2]},"y":{"k":"v","n":3}})")));
    QCOMPARE(compact(caseAt(m, 1).value(u"inputs")),
        compact(parse(R"({"text":"Line one\nLine two\n","bad":{"x":1}})")));
}

void TestPromptfoo::defaultTestFromFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    testsupport::writeFile(dir.path(), QStringLiteral("defaults.yaml"),
        "vars: {a: x}\nassert:\n  - {type: icontains, value: X}\n  - {type: rouge-n, value: x}\n");
    const Mapped m
        = mapYaml("prompts: ['{{a}}']\nproviders: [echo]\ndefaultTest: file://defaults.yaml\ntests: [{}]\n",
            dir.path());
    QCOMPARE(m.problems,
        QStringList {
            QStringLiteral("defaults.yaml:assert[1].type: 'rouge-n' is not supported (line 4, column 12)") });
}

// evaluateOptions and commandLineOptions become hints (and the dataset's repeat and judge).
void TestPromptfoo::hints()
{
    const Mapped m = mapYaml(R"(prompts: [a]
providers: [echo]
evaluateOptions: {repeat: 2, maxConcurrency: 8, cache: false, timeoutMs: 3000, showProgressBar: false}
commandLineOptions: {repeat: 3, grader: 'openai:gpt-4o'}
)");
    QVERIFY2(m.problems.isEmpty(), qPrintable(m.problems.join(QLatin1Char('\n'))));
    QCOMPARE(m.hints.repeat, std::optional<int>(3));
    QCOMPARE(m.hints.maxConcurrency, std::optional<int>(8));
    QCOMPARE(m.hints.cache, std::optional<bool>(false));
    QCOMPARE(m.hints.timeoutMs, std::optional<int>(3000));
    QCOMPARE(m.dataset.value(u"repeat").toInt(), 3);
    QCOMPARE(compact(m.dataset.value(u"judge")),
        compact(parse(R"({"model":{"name":"gpt-4o","provider":"pf-openai"}})")));
    const Mapped bad = mapYaml("prompts: [a]\nproviders: [echo]\nevaluateOptions: {repeat: 0}\n");
    QCOMPARE(bad.problems,
        QStringList {
            QStringLiteral("evaluateOptions.repeat: expected a whole number ≥ 1 (line 3, column 27)") });
}

void TestPromptfoo::invalidYamlSaysWhere()
{
    const Mapped m = mapYaml("prompts: [a\nproviders: [echo]\n");
    QCOMPARE(m.problems.size(), 1);
    QVERIFY2(m.problems.at(0).startsWith(QStringLiteral("line ")), qPrintable(m.problems.at(0)));
    QVERIFY2(m.problems.at(0).contains(QStringLiteral("invalid YAML")), qPrintable(m.problems.at(0)));
    const Mapped notAMap = mapYaml("- a\n- b\n");
    QCOMPARE(notAMap.problems,
        QStringList {
            QStringLiteral("expected a promptfoo config (prompts, providers, tests) (line 1, column 1)") });
}

// The bundled example maps without a problem and runs offline (echo).
void TestPromptfoo::exampleConfigMaps()
{
    const QString path
        = testsupport::sourcePath(QStringLiteral("resources/examples/promptfoo/promptfooconfig.yaml"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QList<DatasetProblem> problems;
    const Result<QJsonObject> r = promptfoo::toDatasetJson(f.readAll(), path, &problems);
    QVERIFY2(r.ok(), qPrintable(r.error()));
    QVERIFY(problems.isEmpty());
    for (const QJsonValue &e : r->value(u"target").toObject().value(u"providers").toArray())
        QCOMPARE(e.toObject().value(u"kind").toString(), QStringLiteral("scripted"));
    QVERIFY(r->value(u"cases").toArray().size() >= 3);
}

// import(): the mapped JSON goes through the native dataset validation against the workspace;
// the dataset records the config's path.
void TestPromptfoo::importValidatesAsADataset()
{
    const QString path
        = testsupport::sourcePath(QStringLiteral("resources/examples/promptfoo/promptfooconfig.yaml"));
    QList<DatasetProblem> problems;
    PromptfooHints hints;
    const Result<Dataset> ds = promptfoo::import(path, Workspace::example(), &problems, &hints);
    QVERIFY2(ds.ok(), qPrintable(ds.error()));
    QCOMPARE(ds->target.kind(), EvalTarget::Kind::Inline);
    QCOMPARE(ds->variants.size(), 2);
    QCOMPARE(ds->variants.at(0).name, QStringLiteral("offline echo · polite"));
    QCOMPARE(ds->cases.size(), 4);
    QCOMPARE(ds->path, path);

    // A var whose name is no valid input name is reported by the dataset validation.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString bad = testsupport::writeFile(dir.path(), QStringLiteral("promptfooconfig.yaml"),
        "prompts: ['{{a}}']\nproviders: [echo]\ntests:\n  - vars: {a: x, 'two words': y}\n");
    problems.clear();
    const Result<Dataset> invalid = promptfoo::import(bad, Workspace::example(), &problems);
    QVERIFY(!invalid.ok());
    QVERIFY2(
        !problems.isEmpty() && problems.constFirst().path.startsWith(QStringLiteral("$.target.agent_spec")),
        qPrintable(toStrings(problems).join(QLatin1Char('\n'))));
}

// The dataset hash covers the config and every file it loaded: changing a cases file changes it.
void TestPromptfoo::importHashesEveryFileRead()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = testsupport::writeFile(dir.path(), QStringLiteral("promptfooconfig.yaml"),
        "prompts: ['{{q}}']\nproviders: [echo]\ntests: file://cases.yaml\n");
    testsupport::writeFile(dir.path(), QStringLiteral("cases.yaml"), "- vars: {q: one}\n");
    const Result<Dataset> first = promptfoo::import(config, Workspace::example());
    QVERIFY2(first.ok(), qPrintable(first.error()));
    testsupport::writeFile(dir.path(), QStringLiteral("cases.yaml"), "- vars: {q: two}\n");
    const Result<Dataset> second = promptfoo::import(config, Workspace::example());
    QVERIFY2(second.ok(), qPrintable(second.error()));
    QCOMPARE(first->sha256.size(), 64);
    QVERIFY(first->sha256 != second->sha256);
}

QTEST_GUILESS_MAIN(TestPromptfoo)
#include "tst_promptfoo.moc"
