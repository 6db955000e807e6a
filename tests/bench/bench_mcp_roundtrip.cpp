// MCP round trip of a trivial tool call (server-everything's `echo`) over stdio and over
// Streamable HTTP on loopback: our client (McpSource) against the official TypeScript SDK
// client (mcp_sdk_roundtrip.mjs) calling the same server in the same run. Prints p50/p99 of
// each and the ratio ours/SDK. Needs the npm packages of tests/mcp (scripts/npm-deps.sh).
//
//   bench_mcp_roundtrip [CALLS]   (default 2000, after 100 warm-up calls)
#include "tests/mcp/McpTestSupport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>

#include <algorithm>
#include <cstdio>

using namespace mcptest;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWarmup = 100;

struct Figures
{
    double p50 = 0, p99 = 0, mean = 0;
    QString error;
};

Figures summarize(QList<double> ms)
{
    Figures f;
    std::sort(ms.begin(), ms.end());
    const auto at
        = [&ms](double q) { return ms.at(std::min<qsizetype>(ms.size() - 1, qsizetype(q * ms.size()))); };
    f.p50 = at(0.5);
    f.p99 = at(0.99);
    double sum = 0;
    for (const double v : ms)
        sum += v;
    f.mean = sum / ms.size();
    return f;
}

Figures ours(const ToolSourceSpec &spec, QNetworkAccessManager *network, int calls)
{
    McpSource source(spec, QString(), network);
    QList<double> ms;
    for (int i = 0; i < kWarmup + calls; ++i) {
        const QString text = u"ping %1"_s.arg(i);
        QEventLoop loop;
        ToolResult result;
        QElapsedTimer clock;
        clock.start();
        source.callTool(u"echo"_s, QJsonObject { { u"message"_s, text } }, ToolCallOptions(), nullptr,
            [&](const ToolResult &r) {
                result = r;
                loop.quit();
            });
        loop.exec();
        const double elapsed = clock.nsecsElapsed() / 1e6;
        if (result.isError || result.text() != u"Echo: "_s + text)
            return Figures { 0, 0, 0, u"call %1 failed: %2"_s.arg(i).arg(result.text()) };
        if (i >= kWarmup)
            ms.append(elapsed);
    }
    source.shutdown();
    return summarize(ms);
}

Figures sdk(const QString &transport, const QString &target, int calls)
{
    QProcess node;
    node.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    node.start(u"node"_s,
        { sourceFile(u"tests/bench/mcp_sdk_roundtrip.mjs"_s), nodeModules(), transport, target,
            QString::number(calls), QString::number(kWarmup) });
    if (!node.waitForFinished(600000) || node.exitCode() != 0)
        return Figures { 0, 0, 0, u"the SDK client failed (exit %1)"_s.arg(node.exitCode()) };
    const QJsonObject o = QJsonDocument::fromJson(node.readAllStandardOutput().trimmed()).object();
    return Figures { o.value(u"p50_ms").toDouble(), o.value(u"p99_ms").toDouble(),
        o.value(u"mean_ms").toDouble(), {} };
}

void print(const char *transport, const Figures &a, const Figures &b)
{
    if (!a.error.isEmpty() || !b.error.isEmpty()) {
        std::printf("%-16s error: %s %s\n", transport, qPrintable(a.error), qPrintable(b.error));
        return;
    }
    std::printf("%-16s ours p50 %7.3f ms  p99 %7.3f ms  mean %7.3f ms | SDK p50 %7.3f ms  p99 %7.3f ms  mean "
                "%7.3f ms | "
                "ours/SDK p50 %.2f  p99 %.2f\n",
        transport, a.p50, a.p99, a.mean, b.p50, b.p99, b.mean, a.p50 / b.p50, a.p99 / b.p99);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int calls = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 2000;
    const QString problem = nodeModulesProblem();
    if (!problem.isEmpty()) {
        std::fprintf(stderr, "%s\n", qPrintable(problem));
        return 1;
    }
    LoopbackNodeServer http;
    QString error;
    if (!http.start({ everythingScript(), u"streamableHttp"_s }, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    QNetworkAccessManager network;
    std::printf(
        "MCP round trip, tools/call echo, %d calls after %d warm-up calls, one at a time\n", calls, kWarmup);
    const Figures oursStdio
        = ours(stdioSpec(u"everything"_s, u"node"_s, { everythingScript(), u"stdio"_s }), nullptr, calls);
    const Figures sdkStdio = sdk(u"stdio"_s, everythingScript(), calls);
    print("stdio", oursStdio, sdkStdio);
    const Figures oursHttp = ours(httpSpec(u"everything"_s, http.url(u"/mcp"_s)), &network, calls);
    const Figures sdkHttp = sdk(u"http"_s, http.url(u"/mcp"_s), calls);
    print("streamable http", oursHttp, sdkHttp);
    const bool failed = !oursStdio.error.isEmpty() || !sdkStdio.error.isEmpty() || !oursHttp.error.isEmpty()
        || !sdkHttp.error.isEmpty();
    return failed ? 1 : 0;
}
