#pragma once

#include "core/model/Workspace.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

// A workspace with one agent "cloudy" on an `openai` provider "cloud" at `server`/v1 whose key
// variable is `keyVariable`, plus an anthropic, an ollama and a scripted provider.
inline Workspace keychainWorkspace(const QUrl &server, const QString &keyVariable)
{
    const QJsonObject in { { QStringLiteral("name"), QStringLiteral("in") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    const QJsonObject out { { QStringLiteral("name"), QStringLiteral("out") },
        { QStringLiteral("type"), QStringLiteral("str") } };
    QJsonObject model;
    model.insert(QStringLiteral("provider"), QStringLiteral("cloud"));
    model.insert(QStringLiteral("name"), QStringLiteral("gpt-4o-mini"));
    QJsonObject signature;
    signature.insert(QStringLiteral("inputs"), QJsonArray { in });
    signature.insert(QStringLiteral("outputs"), QJsonArray { out });
    QJsonObject agent;
    agent.insert(QStringLiteral("id"), QStringLiteral("cloudy"));
    agent.insert(QStringLiteral("name"), QStringLiteral("cloudy"));
    agent.insert(QStringLiteral("version"), QStringLiteral("1"));
    agent.insert(QStringLiteral("model"), model);
    agent.insert(QStringLiteral("instructions"), QStringLiteral("Echo."));
    agent.insert(QStringLiteral("signature"), signature);

    QJsonObject cloud;
    cloud.insert(QStringLiteral("kind"), QStringLiteral("openai"));
    cloud.insert(QStringLiteral("base_url"), QString(server.toString() + QStringLiteral("/v1")));
    cloud.insert(QStringLiteral("api_key_env"), keyVariable);
    QJsonObject claude;
    claude.insert(QStringLiteral("kind"), QStringLiteral("anthropic"));
    claude.insert(QStringLiteral("base_url"), QStringLiteral("https://api.anthropic.com"));
    claude.insert(QStringLiteral("api_key_env"), QStringLiteral("AS_KC_TEST_ANTHROPIC_KEY"));
    QJsonObject ollama;
    ollama.insert(QStringLiteral("kind"), QStringLiteral("ollama"));
    ollama.insert(QStringLiteral("base_url"), QStringLiteral("http://127.0.0.1:11434"));
    QJsonObject offline;
    offline.insert(QStringLiteral("kind"), QStringLiteral("scripted"));
    QJsonObject providers;
    providers.insert(QStringLiteral("cloud"), cloud);
    providers.insert(QStringLiteral("claude"), claude);
    providers.insert(QStringLiteral("local"), ollama);
    providers.insert(QStringLiteral("offline"), offline);

    QJsonObject ws;
    ws.insert(QStringLiteral("format"), QStringLiteral("agentstudio/1"));
    ws.insert(QStringLiteral("providers"), providers);
    ws.insert(QStringLiteral("agents"), QJsonArray { agent });
    QStringList problems;
    Result<Workspace> loaded = Workspace::fromJson(QJsonDocument(ws).toJson(), &problems);
    if (!loaded.ok())
        qFatal("keychain test workspace invalid: %s", qPrintable(loaded.error()));
    return loaded.take();
}
