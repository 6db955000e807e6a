#include "../testpanel/FeedBackend.h"
#include "tests/support/TraceTestData.h"
#include "ui/common/JsonEditor.h"
#include "ui/form/FormBuilder.h"
#include "ui/form/ListFieldEditor.h"
#include "ui/tools/SchemaFields.h"
#include "ui/tools/ToolsPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTextBrowser>
#include <QToolButton>
#include <QTreeWidget>

namespace {

QJsonObject orderSchema()
{
    return QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "order_id": {"type": "integer", "description": "The order number", "minimum": 1},
            "express": {"type": "boolean"},
            "carrier": {"type": "string", "enum": ["ups", "dhl"]},
            "weight": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "note": {"type": "string", "default": "none"},
            "filter": {"type": "object", "properties": {"since": {"type": "string"}}},
            "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]}
        },
        "required": ["order_id", "carrier"]
    })")
        .object();
}

QList<ToolSourceStatus> sources()
{
    ToolSourceStatus orders;
    orders.id = QStringLiteral("orders");
    orders.kind = QStringLiteral("mcp");
    orders.target = QStringLiteral("node orders-server.js");
    orders.state = ToolSourceState::Connected;
    orders.serverName = QStringLiteral("orders-server");
    orders.serverVersion = QStringLiteral("1.2.0");
    orders.protocolVersion = QStringLiteral("2025-06-18");
    ToolDefinition lookup;
    lookup.source = orders.id;
    lookup.name = QStringLiteral("lookup_order");
    lookup.description = QStringLiteral("Finds an order by its number.");
    lookup.inputSchema = orderSchema();
    ToolDefinition ping;
    ping.source = orders.id;
    ping.name = QStringLiteral("ping");
    ping.inputSchema = QJsonObject { { QStringLiteral("type"), QStringLiteral("object") } };
    orders.tools = { lookup, ping };

    ToolSourceStatus files;
    files.id = QStringLiteral("files");
    files.kind = QStringLiteral("mcp");
    files.state = ToolSourceState::Failed;
    files.error = QStringLiteral("process exited with code 1 before initialize");
    files.log = { QStringLiteral("Error: Cannot find module 'server-filesystem'"),
        QStringLiteral("  at node:internal") };
    return { orders, files };
}

} // namespace

// The Tools panel against a test-double backend, driven by objectName: sources with their
// state and log, a tool's generated form, a run of one tool and its structured result.
class TestToolsPanel : public QObject
{
    Q_OBJECT

private slots:
    void init()
    {
        m_backend = std::make_unique<FeedBackend>(nullptr);
        m_backend->toolSources = sources();
        m_panel = std::make_unique<ToolsPanel>(m_backend.get());
        m_panel->resize(1000, 700);
        m_panel->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_panel.get()));
        QTRY_COMPARE(m_panel->sources().size(), 2); // the backend answers later
    }
    void cleanup()
    {
        m_panel.reset();
        m_backend.reset();
    }

    // Each source with its state; a failed one shows its error and the last lines of its log.
    void sourcesWithStateAndLog()
    {
        auto *tree = m_panel->findChild<QTreeWidget *>(QStringLiteral("toolSources"));
        QCOMPARE(tree->topLevelItemCount(), 2);
        QCOMPARE(tree->topLevelItem(0)->text(1), QStringLiteral("connected"));
        QCOMPARE(tree->topLevelItem(0)->childCount(), 2);
        QCOMPARE(tree->topLevelItem(1)->text(1), QStringLiteral("failed"));
        QVERIFY(m_panel->findChild<QLabel *>(QStringLiteral("toolsStatus"))
                    ->text()
                    .contains(QLatin1String("1 failed")));
        QVERIFY(m_panel->selectTool(QStringLiteral("files"), {}));
        const QString log
            = m_panel->findChild<QPlainTextEdit *>(QStringLiteral("toolSourceLog"))->toPlainText();
        QVERIFY(log.contains(QLatin1String("process exited with code 1")));
        QVERIFY(log.contains(QLatin1String("Cannot find module 'server-filesystem'")));
        QVERIFY(!m_panel->findChild<QPushButton *>(QStringLiteral("toolRunButton"))->isEnabled());
    }

    // JSON Schema -> the form's editors: scalars, enums and scalar arrays get their own editors,
    // objects and unions the JSON editor; required and defaults carry over.
    void formFromSchema()
    {
        const QList<FieldSpec> fields = schemafields::fromSchema(orderSchema());
        QHash<QString, FieldSpec> byName;
        for (const FieldSpec &f : fields)
            byName.insert(f.name, f);
        QCOMPARE(byName.value(QStringLiteral("order_id")).type, FieldType::Int);
        QVERIFY(byName.value(QStringLiteral("order_id")).required);
        QCOMPARE(byName.value(QStringLiteral("order_id")).min.value_or(0), 1.0);
        QCOMPARE(byName.value(QStringLiteral("express")).type, FieldType::Bool);
        QVERIFY(!byName.value(QStringLiteral("express")).required);
        QCOMPARE(byName.value(QStringLiteral("carrier")).type, FieldType::Enum);
        QCOMPARE(byName.value(QStringLiteral("carrier")).choices,
            (QStringList { QStringLiteral("ups"), QStringLiteral("dhl") }));
        QCOMPARE(byName.value(QStringLiteral("weight")).type, FieldType::Float);
        QCOMPARE(byName.value(QStringLiteral("tags")).type, FieldType::ListStr);
        QCOMPARE(byName.value(QStringLiteral("note")).defaultValue.value_or(QJsonValue()).toString(),
            QStringLiteral("none"));
        QCOMPARE(byName.value(QStringLiteral("filter")).type, FieldType::Json);
        QCOMPARE(byName.value(QStringLiteral("either")).type, FieldType::Json);
    }

    // Select a tool, fill its generated fields, Run: the call carries the form's arguments; the
    // result shows structured (text, structured JSON, the image) with the latency.
    void runsAToolFromItsForm()
    {
        QVERIFY(m_panel->selectTool(QStringLiteral("orders"), QStringLiteral("lookup_order")));
        QVERIFY(m_panel->findChild<QLabel *>(QStringLiteral("toolDescription"))
                    ->text()
                    .contains(QLatin1String("Finds an order")));
        QVERIFY(m_panel->findChild<QPlainTextEdit *>(QStringLiteral("toolSchema"))
                    ->toPlainText()
                    .contains(QLatin1String("\"order_id\"")));
        auto *run = m_panel->findChild<QPushButton *>(QStringLiteral("toolRunButton"));
        QVERIFY(!run->isEnabled()); // order_id is required
        FormBuilder *form = m_panel->findChild<FormBuilder *>(QStringLiteral("toolForm"));
        auto *orderId = form->findChild<QSpinBox *>(QStringLiteral("field_order_id"));
        QVERIFY(orderId);
        orderId->setValue(42);
        QVERIFY(orderId->findChild<QLineEdit *>());
        QTest::keyClick(orderId, Qt::Key_End); // a real edit, so the form sees it
        form->findChild<QCheckBox *>(QStringLiteral("field_express"))->setChecked(true);
        auto *carrier = form->findChild<QComboBox *>(QStringLiteral("field_carrier"));
        carrier->setCurrentIndex(carrier->findText(QStringLiteral("dhl")));
        form->findChild<JsonEditor *>(QStringLiteral("field_filter"))
            ->setText(QStringLiteral("{\"since\": \"2026-01-01\"}"));
        QTRY_VERIFY2(run->isEnabled(), qPrintable(form->problems().join(u'\n')));
        QTest::mouseClick(run, Qt::LeftButton);
        QCOMPARE(m_backend->toolCalls.size(), 1);
        const FeedBackend::ToolCall call = m_backend->toolCalls.first();
        QCOMPARE(call.source, QStringLiteral("orders"));
        QCOMPARE(call.tool, QStringLiteral("lookup_order"));
        QCOMPARE(call.arguments.value(u"order_id").toInt(), 42);
        QCOMPARE(call.arguments.value(u"express").toBool(), true);
        QCOMPARE(call.arguments.value(u"carrier").toString(), QStringLiteral("dhl"));
        QCOMPARE(call.arguments.value(u"filter").toObject().value(u"since").toString(),
            QStringLiteral("2026-01-01"));
        QCOMPARE(call.arguments.value(u"note").toString(), QStringLiteral("none"));
        auto *latency = m_panel->findChild<QLabel *>(QStringLiteral("toolLatency"));
        QVERIFY(latency->text().contains(QLatin1String("Running")));

        ToolResult result
            = ToolResult::fromValue(QJsonObject { { QStringLiteral("status"), QStringLiteral("shipped") } });
        result.content.append(QJsonObject { { QStringLiteral("type"), QStringLiteral("image") },
            { QStringLiteral("mimeType"), QStringLiteral("image/png") },
            { QStringLiteral("data"), tinyPngBase64() } });
        result.latencyMs = 123;
        QSignalSpy shown(m_panel.get(), &ToolsPanel::resultShown);
        m_backend->answerCall(result);
        QCOMPARE(shown.size(), 1);
        QCOMPARE(latency->text(), QStringLiteral("Done · 123 ms"));
        auto *view = m_panel->findChild<QTextBrowser *>(QStringLiteral("toolResult"));
        const QString text = view->toPlainText();
        QVERIFY2(text.contains(QLatin1String("Structured content")), qPrintable(text));
        QVERIFY(text.contains(QLatin1String("\"status\": \"shipped\"")));
        const QUrl image(QStringLiteral("toolimage:orders-lookup_order/0"));
        QVERIFY2(view->toHtml().contains(image.toString()), qPrintable(view->toHtml()));
        QCOMPARE(view->document()->resource(QTextDocument::ImageResource, image).value<QImage>().size(),
            QSize(1, 1));

        // An error result reads as one.
        QTest::mouseClick(run, Qt::LeftButton);
        m_backend->answerCall(ToolResult::fromError(QStringLiteral("order 42 is archived")));
        QVERIFY(latency->text().startsWith(QLatin1String("Error result")));
        QVERIFY(view->toPlainText().contains(QLatin1String("The tool returned an error.")));
        QVERIFY(view->toPlainText().contains(QLatin1String("order 42 is archived")));
    }

    // toolsChanged and Refresh list again; the selected tool and its form stay.
    void refreshesAndKeepsSelection()
    {
        QVERIFY(m_panel->selectTool(QStringLiteral("orders"), QStringLiteral("lookup_order")));
        m_panel->form()->findChild<QSpinBox *>(QStringLiteral("field_order_id"))->setValue(7);
        const int before = m_backend->listCount;
        m_backend->toolSources[1].state = ToolSourceState::Connected;
        m_backend->toolSources[1].error.clear();
        QSignalSpy shown(m_panel.get(), &ToolsPanel::sourcesShown);
        m_backend->changeTools();
        QVERIFY(shown.wait());
        QCOMPARE(m_backend->listCount, before + 1);
        auto *tree = m_panel->findChild<QTreeWidget *>(QStringLiteral("toolSources"));
        QCOMPARE(tree->topLevelItem(1)->text(1), QStringLiteral("connected"));
        QCOMPARE(tree->currentItem()->text(0), QStringLiteral("lookup_order"));
        QCOMPARE(m_panel->form()->values().value(u"order_id").toInt(), 7);
        QTest::mouseClick(m_panel->findChild<QToolButton *>(QStringLiteral("toolsRefresh")), Qt::LeftButton);
        QVERIFY(shown.wait());
        QCOMPARE(m_backend->listCount, before + 2);
        // Another workspace has other sources: the panel lists them without being asked.
        m_backend->toolSources.removeLast();
        emit m_backend->workspaceChanged();
        QVERIFY(shown.wait());
        QCOMPARE(m_backend->listCount, before + 3);
        QCOMPARE(m_panel->sources().size(), 1);
    }

private:
    std::unique_ptr<FeedBackend> m_backend;
    std::unique_ptr<ToolsPanel> m_panel;
};

QTEST_MAIN(TestToolsPanel)
#include "tst_toolspanel.moc"
