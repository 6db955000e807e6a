#include "core/tools/ToolHost.h"

#include "core/api/ExecutionBackend.h" // BackendReply
#include "core/mcp/McpSource.h"
#include "core/model/JsonSchema.h"
#include "core/tools/CommandSource.h"
#include "core/tools/MockSource.h"
#include "core/tools/UnavailableSource.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <memory>

namespace {

// What one source listed (error empty on success).
struct Listing
{
    QList<ToolDefinition> tools;
    QString error;
};
using Listings = QHash<QString, Listing>;

// "source/tool" -> ("source", "tool"); "source" -> ("source", "").
std::pair<QString, QString> splitReference(const QString &ref)
{
    const qsizetype slash = ref.indexOf(QLatin1Char('/'));
    if (slash < 0)
        return { ref, QString() };
    return { ref.left(slash), ref.mid(slash + 1) };
}

QString namesOf(const QList<ToolDefinition> &tools)
{
    QStringList names;
    for (const ToolDefinition &t : tools)
        names.append(t.name);
    if (names.isEmpty())
        return QStringLiteral("offers none");
    if (names.size() > 20)
        names = names.mid(0, 20) << QStringLiteral("…");
    return QStringLiteral("offers: ") + names.join(QStringLiteral(", "));
}

const ToolDefinition *findTool(const QList<ToolDefinition> &tools, const QString &name)
{
    for (const ToolDefinition &t : tools)
        if (t.name == name)
            return &t;
    return nullptr;
}

} // namespace

// One running source per "tools" entry, in workspace order. An entry is kept across
// setWorkspace() while everything it was made from (the spec's JSON, the folder relative paths
// resolve against, why it is unavailable) stays the same.
struct ToolHost::Private
{
    struct Entry
    {
        QString id;
        QJsonObject specJson; // ToolSourceSpec::toJson()
        QString baseDir;
        QString unavailable; // why it is an UnavailableSource (empty: a real source)
        QString token; // the bearer token it was given (memory only)
        ToolSource *source = nullptr; // Owned (child of the host).
    };

    QNetworkAccessManager *network = nullptr; // Not owned (the engine's).
    QList<Entry> entries;

    const Entry *entry(const QString &id) const
    {
        for (const Entry &e : entries)
            if (e.id == id)
                return &e;
        return nullptr;
    }
    QStringList ids() const
    {
        QStringList out;
        for (const Entry &e : entries)
            out.append(e.id);
        return out;
    }
};

ToolHost::ToolHost(QNetworkAccessManager *network, QObject *parent)
    : QObject(parent)
    , d(new Private)
{
    d->network = network;
}

ToolHost::~ToolHost()
{
    shutdown();
    delete d;
}

std::optional<CredentialUse> ToolHost::credentialUse(const ToolSourceSpec &spec)
{
    return credentials::toolSourceUse(spec);
}

QList<CredentialUse> ToolHost::credentialUses(const Workspace &workspace, const QStringList &sourceIds)
{
    return credentials::toolSourceUses(workspace, sourceIds);
}

QStringList ToolHost::sourcesOf(const AgentSpec &agent)
{
    QStringList out;
    for (const QString &ref : agent.tools) {
        const QString id = splitReference(ref).first;
        if (!id.isEmpty() && !out.contains(id))
            out.append(id);
    }
    return out;
}

QList<BoundTool> ToolHost::bindTools(const QList<ToolDefinition> &tools)
{
    QHash<QString, QSet<QString>> sourcesByName;
    for (const ToolDefinition &t : tools)
        sourcesByName[t.name].insert(t.source);
    QList<BoundTool> bound;
    for (const ToolDefinition &t : tools)
        bound.append(BoundTool {
            sourcesByName.value(t.name).size() > 1 ? t.source + QStringLiteral("__") + t.name : t.name, t });
    return bound;
}

QString ToolHost::untrustedMessage(const CredentialUse &use)
{
    return QStringLiteral(
        "tool source '%1' (%2) would send %3 to host %4 (%5); this workspace is not trusted")
        .arg(use.providerId, use.kind, use.variable, use.host, use.reason);
}

void ToolHost::setWorkspace(const Workspace &workspace, const CredentialTrust &trust)
{
    QList<Private::Entry> next;
    QList<Private::Entry> old = d->entries;
    const QString baseDir = workspace.baseDir();
    for (const ToolSourceSpec &spec : workspace.tools) {
        Private::Entry e;
        e.id = spec.id;
        e.specJson = spec.toJson();
        e.baseDir = baseDir;
        if (const QStringList problems = spec.check(QStringLiteral("tools.") + spec.id); !problems.isEmpty())
            e.unavailable = problems.join(QLatin1Char('\n'));
        if (spec.disabled && e.unavailable.isEmpty())
            e.unavailable = QStringLiteral("disabled in the workspace (\"disabled\": true)");
        const std::optional<CredentialUse> use = credentialUse(spec);
        if (use && e.unavailable.isEmpty()) {
            if (trust.allows(*use))
                e.token = qEnvironmentVariable(qPrintable(use->variable)); // read only when trusted
            else
                e.unavailable = untrustedMessage(*use);
        }
        // The same source as before: keep it running (only a new token is handed over).
        for (qsizetype i = 0; i < old.size(); ++i) {
            const Private::Entry &o = old.at(i);
            if (o.id == e.id && o.specJson == e.specJson && o.baseDir == e.baseDir
                && o.unavailable == e.unavailable) {
                e.source = o.source;
                if (o.token != e.token)
                    if (auto *mcp = qobject_cast<McpSource *>(e.source))
                        mcp->setBearerToken(e.token);
                old.removeAt(i);
                break;
            }
        }
        if (!e.source) {
            if (!e.unavailable.isEmpty())
                e.source = new UnavailableSource(spec, e.unavailable, this);
            else if (spec.kind == QLatin1String("mock"))
                e.source = new MockSource(spec, this);
            else if (spec.kind == QLatin1String("command"))
                e.source = new CommandSource(spec, baseDir, this);
            else {
                auto *mcp = new McpSource(spec, baseDir, d->network, this);
                if (!e.token.isEmpty())
                    mcp->setBearerToken(e.token);
                e.source = mcp;
            }
            ToolSource *source = e.source;
            connect(source, &ToolSource::statusChanged, this,
                [this, source] { emit statusChanged(source->status()); });
        }
        next.append(e);
    }
    d->entries = next;
    // Sources no longer in the workspace (or changed) stop; their pending answers end with them.
    for (const Private::Entry &o : std::as_const(old)) {
        o.source->disconnect(this);
        o.source->shutdown();
        o.source->deleteLater();
    }
}

QList<ToolSourceStatus> ToolHost::statuses() const
{
    QList<ToolSourceStatus> out;
    for (const Private::Entry &e : d->entries)
        out.append(e.source->status());
    return out;
}

ToolSource *ToolHost::source(const QString &id) const
{
    const Private::Entry *e = d->entry(id);
    return e ? e->source : nullptr;
}

namespace {

// Lists `sources` at once and answers with every listing when each has answered (or was
// removed by setWorkspace meanwhile). `guard`, a child of the host, is the context of the
// listings and is deleted with the answer, so late answers go nowhere.
void listAll(QObject *host, const QList<ToolSource *> &sources, std::function<void(const Listings &)> done)
{
    auto *guard = new QObject(host);
    struct State
    {
        QSet<QString> waiting;
        Listings results;
        std::function<void(const Listings &)> done;
    };
    auto state = std::make_shared<State>();
    state->done = std::move(done);
    for (ToolSource *s : sources)
        state->waiting.insert(s->id());
    auto settle = [guard, state](const QString &id, const Listing &listing) {
        if (!state->waiting.remove(id))
            return;
        state->results.insert(id, listing);
        if (!state->waiting.isEmpty())
            return;
        guard->deleteLater();
        state->done(state->results);
    };
    if (sources.isEmpty()) {
        QTimer::singleShot(0, guard, [guard, state] {
            guard->deleteLater();
            state->done({});
        });
        return;
    }
    for (ToolSource *s : sources) {
        const QString id = s->id();
        QObject::connect(s, &QObject::destroyed, guard, [settle, id] {
            settle(id, Listing { {}, QStringLiteral("the source was removed") });
        });
        s->listTools(guard, [settle, id](const QList<ToolDefinition> &tools, const QString &error) {
            settle(id, Listing { tools, error });
        });
    }
}

} // namespace

void ToolHost::refresh(QObject *context, StatusCallback callback)
{
    QList<ToolSource *> sources;
    for (const Private::Entry &e : d->entries)
        sources.append(e.source);
    listAll(this, sources,
        [this, reply = BackendReply<const QList<ToolSourceStatus> &>(context, std::move(callback))](
            const Listings &) mutable { reply(statuses()); });
}

void ToolHost::resolve(const AgentSpec &agent, QObject *context, ResolveCallback callback)
{
    struct Reference
    {
        qsizetype index;
        QString source, tool;
    };
    QList<Reference> refs;
    QStringList errors;
    QList<ToolSource *> sources;
    for (qsizetype i = 0; i < agent.tools.size(); ++i) {
        const auto [sourceId, tool] = splitReference(agent.tools.at(i));
        ToolSource *s = source(sourceId);
        if (!s) {
            const QStringList known = d->ids();
            errors.append(
                QStringLiteral("tools[%1]: unknown tool source '%2' (%3)")
                    .arg(i)
                    .arg(sourceId,
                        known.isEmpty() ? QStringLiteral("none defined")
                                        : QStringLiteral("known: ") + known.join(QStringLiteral(", "))));
            continue;
        }
        refs.append({ i, sourceId, tool });
        if (!sources.contains(s))
            sources.append(s);
    }
    auto reply = BackendReply<const QList<BoundTool> &, const QString &>(context, std::move(callback));
    listAll(this, sources, [refs, errors, reply](const Listings &listings) mutable {
        QList<ToolDefinition> chosen;
        QSet<QString> failed;
        auto choose = [&chosen](const ToolDefinition &t) {
            for (const ToolDefinition &c : std::as_const(chosen))
                if (c.source == t.source && c.name == t.name)
                    return; // named twice ("files" and "files/read"): offered once
            chosen.append(t);
        };
        for (const Reference &ref : std::as_const(refs)) {
            const Listing listing = listings.value(ref.source);
            if (!listing.error.isEmpty()) {
                if (!failed.contains(ref.source))
                    errors.append(QStringLiteral("tools[%1]: source '%2' failed: %3")
                                      .arg(ref.index)
                                      .arg(ref.source, listing.error));
                failed.insert(ref.source);
                continue;
            }
            if (ref.tool.isEmpty()) {
                for (ToolDefinition t : listing.tools) {
                    t.source = ref.source;
                    choose(t);
                }
            } else if (const ToolDefinition *t = findTool(listing.tools, ref.tool)) {
                ToolDefinition copy = *t;
                copy.source = ref.source;
                choose(copy);
            } else {
                errors.append(QStringLiteral("tools[%1]: source '%2' offers no tool '%3' (%4)")
                                  .arg(ref.index)
                                  .arg(ref.source, ref.tool, namesOf(listing.tools)));
            }
        }
        const QList<BoundTool> bound = bindTools(chosen);
        reply(bound, errors.join(QStringLiteral("; ")));
    });
}

void ToolHost::call(const QString &sourceId, const QString &tool, const QJsonObject &arguments,
    QObject *context, CallCallback callback)
{
    auto reply = BackendReply<const ToolResult &, const Error &>(context, std::move(callback));
    QPointer<ToolSource> s = source(sourceId);
    if (!s) {
        const QStringList known = d->ids();
        const Error error { ErrorCode::NotFound,
            QStringLiteral("unknown tool source '%1' (%2)")
                .arg(sourceId,
                    known.isEmpty() ? QStringLiteral("none defined")
                                    : QStringLiteral("known: ") + known.join(QStringLiteral(", "))) };
        QTimer::singleShot(0, this, [reply, error]() mutable { reply(ToolResult(), error); });
        return;
    }
    listAll(
        this, { s.data() }, [this, s, sourceId, tool, arguments, reply](const Listings &listings) mutable {
            const Listing listing = listings.value(sourceId);
            if (!listing.error.isEmpty() || !s) {
                reply(ToolResult(),
                    Error { ErrorCode::Unreachable,
                        QStringLiteral("tool source '%1': %2")
                            .arg(sourceId, s ? listing.error : QStringLiteral("the source was removed")) });
                return;
            }
            const ToolDefinition *t = findTool(listing.tools, tool);
            if (!t) {
                reply(ToolResult(),
                    Error { ErrorCode::NotFound,
                        QStringLiteral("tool source '%1' offers no tool '%2' (%3)")
                            .arg(sourceId, tool, namesOf(listing.tools)) });
                return;
            }
            if (const QStringList problems = JsonSchema(t->inputSchema).validate(arguments);
                !problems.isEmpty()) {
                reply(ToolResult(),
                    Error { ErrorCode::InvalidInput,
                        QStringLiteral("arguments: ") + problems.join(QStringLiteral("; ")) });
                return;
            }
            // The call's own latency when the source does not measure it (listing not included).
            QElapsedTimer clock;
            clock.start();
            s->callTool(tool, arguments, ToolCallOptions {}, this, [reply, clock](ToolResult result) mutable {
                if (result.latencyMs == 0)
                    result.latencyMs = clock.elapsed();
                reply(result, Error { ErrorCode::None, QString() });
            });
        });
}

void ToolHost::shutdown()
{
    for (const Private::Entry &e : std::as_const(d->entries))
        e.source->shutdown();
}
