// libFuzzer target for the workspace loader and validator (Workspace::fromJson, the entry point
// that Workspace::load, the app, the runner and the server all read workspace files through).
// For any bytes it checks (docs/testing.md):
//  - nothing crashes, leaks or reads out of bounds (AddressSanitizer);
//  - an invalid workspace yields at least one problem, each of the form "PATH: why" with a
//    non-empty PATH, and the error message is exactly those problems, one per line;
//  - a valid workspace validates clean, and what save() writes (toJsonText) loads back into the
//    same workspace and is written again byte for byte.
#include "core/model/Workspace.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QStringList>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

[[noreturn]] void broken(const char *what, const QByteArray &detail = {})
{
    std::fprintf(stderr, "workspace loader invariant broken: %s\n%s\n", what, detail.constData());
    std::abort();
}

void checkInvalid(const Result<Workspace> &ws, const QStringList &problems)
{
    if (problems.isEmpty())
        broken("an invalid workspace reported no problem");
    for (const QString &problem : problems)
        if (problem.indexOf(QLatin1String(": ")) <= 0)
            broken("a problem does not start with its JSON path", problem.toUtf8());
    if (ws.error() != problems.join(QLatin1Char('\n')))
        broken("the error message is not the list of problems", ws.error().toUtf8());
}

void checkRoundTrip(const Workspace &ws)
{
    if (const QStringList again = toStrings(ws.validate()); !again.isEmpty())
        broken("a loaded workspace does not validate", again.join(QLatin1Char('\n')).toUtf8());
    const QByteArray saved = ws.toJsonText();
    QStringList problems;
    const Result<Workspace> reloaded = Workspace::fromJson(saved, &problems);
    if (!reloaded.ok())
        broken("what save() writes does not load", saved + '\n' + problems.join(QLatin1Char('\n')).toUtf8());
    if (reloaded->toJson() != ws.toJson())
        broken("save then load changed the workspace",
            QJsonDocument(ws.toJson()).toJson() + "\n---\n" + QJsonDocument(reloaded->toJson()).toJson());
    if (reloaded->toJsonText() != saved)
        broken("saving a reloaded workspace changed its text", saved + "\n---\n" + reloaded->toJsonText());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    QStringList problems;
    const Result<Workspace> ws = Workspace::fromJson(input, &problems);
    if (ws.ok()) {
        if (!problems.isEmpty())
            broken("a valid workspace came with problems", problems.join(QLatin1Char('\n')).toUtf8());
        checkRoundTrip(*ws);
    } else {
        checkInvalid(ws, problems);
    }
    return 0;
}
