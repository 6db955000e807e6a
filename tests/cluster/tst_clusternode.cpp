// ClusterNode against a real PostgreSQL cluster (tests/support/PgCluster), several nodes on one
// database as several server instances are: the relay delivers every event of a followed
// execution once and in order (live, from the table after a late follow, across a cut
// listener connection), an expired lease interrupts an instance's executions and the
// followers get the terminal event, a cancel reaches the owner, old event rows are pruned.
#include "core/server/cluster/ClusterNode.h"
#include "tests/cluster/ClusterSchema.h"
#include "tests/support/PgCluster.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <QUuid>

#include <memory>

namespace {

QString newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

// What one node received through relayedEvents, per execution.
struct Received
{
    QHash<QString, ExecutionEventList> events;
    QList<double> lags;

    void watch(ClusterNode *node)
    {
        QObject::connect(node, &ClusterNode::relayedEvents, node,
            [this](const QString &id, const ExecutionEventList &list) { events[id] += list; });
        QObject::connect(node, &ClusterNode::relayLag, node, [this](double lag) { lags.append(lag); });
    }
    bool terminal(const QString &id) const
    {
        const ExecutionEventList &l = events.value(id);
        return !l.isEmpty() && l.constLast().isTerminal();
    }
};

ExecutionEventList chunks(const QString &id, qint64 firstSeq, int count, int bytes = 8)
{
    ExecutionEventList out;
    for (int i = 0; i < count; ++i) {
        const qint64 seq = firstSeq + i;
        ExecutionEvent e = ExecutionEvent::makeChunk(id, QStringLiteral("s1"),
            QStringLiteral("c%1-").arg(seq).leftJustified(bytes, QLatin1Char('x')), 1);
        e.seq = seq;
        out.append(e);
    }
    return out;
}

ExecutionEvent complete(const QString &id, qint64 seq)
{
    ExecutionEvent e = ExecutionEvent::makeComplete(id, ExecutionStatus::Completed, ExecutionSummary {});
    e.seq = seq;
    return e;
}

// Seqs 1..n exactly once, in order, and the chunk texts as published.
QString checkStream(const ExecutionEventList &got, qint64 n)
{
    if (got.size() != n)
        return QStringLiteral("got %1 events, expected %2").arg(got.size()).arg(n);
    for (qsizetype i = 0; i < got.size(); ++i) {
        if (got[i].seq != i + 1)
            return QStringLiteral("event %1 has seq %2").arg(i).arg(got[i].seq);
        if (got[i].type == ExecutionEvent::Type::Chunk
            && !got[i].content.startsWith(QStringLiteral("c%1-").arg(i + 1)))
            return QStringLiteral("event %1 has content %2").arg(i).arg(got[i].content.left(20));
    }
    return {};
}

} // namespace

class TestClusterNode : public QObject
{
    Q_OBJECT
private:
    PgCluster m_pg;
    QString m_db;

    std::unique_ptr<ClusterNode> node(const QString &name, int retainEventsMs = 0)
    {
        ClusterNode::Settings s;
        s.databaseUri = m_pg.uri(m_db);
        s.instanceId = newId();
        s.instanceName = name;
        s.heartbeatMs = 100;
        s.leaseMs = 600;
        s.retainEventsMs = retainEventsMs;
        auto n = std::make_unique<ClusterNode>(s);
        const Result<void> started = n->start();
        if (!started)
            qWarning("%s", qPrintable(started.error()));
        return started ? std::move(n) : nullptr;
    }
    QString sql(const QString &statement)
    {
        const Result<QString> r = m_pg.psql(statement, m_db);
        if (!r)
            qWarning("psql: %s", qPrintable(r.error()));
        return r ? r.value().trimmed() : QStringLiteral("<error>");
    }
    void addExecution(
        const QString &id, const QString &instanceId, const QString &status = QStringLiteral("running"))
    {
        sql(QStringLiteral("INSERT INTO executions (id, status, instance_id) VALUES ('%1', '%2', '%3')")
                .arg(id, status, instanceId));
    }

private slots:
    void initTestCase()
    {
        const Result<void> started = m_pg.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
    }
    void init()
    {
        const Result<QString> db = m_pg.createDatabase(QStringLiteral("cluster"));
        QVERIFY2(db, qPrintable(db ? QString() : db.error()));
        m_db = db.value();
        const Result<QString> made = m_pg.psql(clusterschema::ddl(), m_db);
        QVERIFY2(made, qPrintable(made ? QString() : made.error()));
    }

    void registersAndDeregisters()
    {
        auto a = node(QStringLiteral("a"));
        QVERIFY(a);
        const QString id = a->instanceId();
        QCOMPARE(sql(QStringLiteral("SELECT name || ',' || lease_ms || ',' || (stopped_at IS NULL) FROM "
                                    "server_instances WHERE id = '%1'")
                         .arg(id)),
            QStringLiteral("a,600,true"));
        const QString first
            = sql(QStringLiteral("SELECT heartbeat_at FROM server_instances WHERE id = '%1'").arg(id));
        QTRY_VERIFY(sql(QStringLiteral("SELECT heartbeat_at FROM server_instances WHERE id = '%1'").arg(id))
            != first);
        a->stop();
        QCOMPARE(sql(QStringLiteral("SELECT stopped_at IS NOT NULL FROM server_instances WHERE id = '%1'")
                         .arg(id)),
            QStringLiteral("t"));
    }

    // Published on A, followed on B before the first event: every event, in order, once; big
    // events (no room in the NOTIFY payload) come from the table.
    void relaysLiveInOrderOnce()
    {
        auto a = node(QStringLiteral("a"));
        auto b = node(QStringLiteral("b"));
        QVERIFY(a && b);
        Received got;
        got.watch(b.get());
        const QString id = newId();
        addExecution(id, a->instanceId());
        b->follow(id, 0);
        qint64 seq = 1;
        for (int round = 0; round < 20; ++round) {
            a->publish(QStringLiteral("acme/alpha"), chunks(id, seq, 25, round % 5 == 4 ? 9000 : 8));
            seq += 25;
            QTest::qWait(2); // lets the writer flush between publishes (several batches)
        }
        a->publish(QStringLiteral("acme/alpha"), { complete(id, seq) });
        QTRY_VERIFY_WITH_TIMEOUT(got.terminal(id), 10000);
        const QString problem = checkStream(got.events.value(id), seq);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY(!got.lags.isEmpty());
        QCOMPARE(
            sql(QStringLiteral("SELECT count(*) FROM execution_events WHERE execution_id = '%1'").arg(id)),
            QString::number(seq));
    }

    // B follows after 100 events are in the table and asks for those after seq 40.
    void lateFollowReplaysFromTable()
    {
        auto a = node(QStringLiteral("a"));
        auto b = node(QStringLiteral("b"));
        QVERIFY(a && b);
        Received got;
        got.watch(b.get());
        const QString id = newId();
        addExecution(id, a->instanceId());
        a->publish(QStringLiteral("acme/alpha"), chunks(id, 1, 100));
        QTRY_COMPARE(
            sql(QStringLiteral("SELECT count(*) FROM execution_events WHERE execution_id = '%1'").arg(id)),
            QStringLiteral("100"));
        b->follow(id, 40);
        a->publish(QStringLiteral("acme/alpha"), chunks(id, 101, 50));
        a->publish(QStringLiteral("acme/alpha"), { complete(id, 151) });
        QTRY_VERIFY_WITH_TIMEOUT(got.terminal(id), 10000);
        const ExecutionEventList l = got.events.value(id);
        QCOMPARE(l.size(), 111);
        for (qsizetype i = 0; i < l.size(); ++i)
            QCOMPARE(l[i].seq, 41 + i);
    }

    // Every backend of the database is terminated (listener, reader, writer, heartbeat) while
    // events keep coming: the listener reconnects and reads what it missed from the table.
    void listenerSurvivesTerminatedConnection()
    {
        auto a = node(QStringLiteral("a"));
        auto b = node(QStringLiteral("b"));
        QVERIFY(a && b);
        Received got;
        got.watch(b.get());
        const QString id = newId();
        addExecution(id, a->instanceId());
        b->follow(id, 0);
        a->publish(QStringLiteral("acme/alpha"), chunks(id, 1, 50));
        QTRY_COMPARE(got.events.value(id).size(), 50);
        QVERIFY(m_pg.terminateConnections(m_db));
        QTRY_VERIFY(got.events.value(id).size() == 50); // nothing lost or doubled by the cut itself
        // One transaction cuts every other backend again and commits 51..101 with their
        // notifications: B's listener is gone when they are sent, so they are lost for good
        // and only the replay after its reconnect can deliver them.
        ExecutionEventList rest = chunks(id, 51, 50);
        rest.append(complete(id, 101));
        QString script
            = QStringLiteral("BEGIN; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid();\n");
        for (const ExecutionEvent &e : rest) {
            const QString text = QString::fromUtf8(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact));
            script += QStringLiteral(
                "INSERT INTO execution_events (execution_id, seq, event, terminal) VALUES "
                "('%1', %2, $e$%3$e$, %4); SELECT pg_notify('agentstudio_events', "
                "json_build_object('execution_id', '%1', 'seq', %2, 'event', $e$%3$e$)::text);\n")
                          .arg(id)
                          .arg(e.seq)
                          .arg(text, e.isTerminal() ? QStringLiteral("true") : QStringLiteral("false"));
        }
        sql(script + QStringLiteral("COMMIT;"));
        QTRY_VERIFY_WITH_TIMEOUT(got.terminal(id), 10000);
        const QString problem = checkStream(got.events.value(id), 101);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    // An instance stops renewing (its row is old, as after SIGKILL): B interrupts its running
    // execution after the lease, appends the terminal event, and B's follower gets it.
    void expiredLeaseInterruptsAndNotifiesFollowers()
    {
        sql(QStringLiteral("INSERT INTO server_instances (id, name, lease_ms, heartbeat_at) "
                           "VALUES ('ghost', 'ghost-host', 600, now())"));
        const QString id = newId();
        addExecution(id, QStringLiteral("ghost"));
        auto b = node(QStringLiteral("b"));
        QVERIFY(b);
        Received got;
        got.watch(b.get());
        QSignalSpy interrupted(b.get(), &ClusterNode::interruptedByLease);
        b->follow(id, 0);
        QTRY_VERIFY_WITH_TIMEOUT(got.terminal(id), 10000);
        const ExecutionEvent last = got.events.value(id).constLast();
        QCOMPARE(last.status, ExecutionStatus::Interrupted);
        QCOMPARE(last.seq, 1);
        QCOMPARE(interrupted.size(), 1);
        QCOMPARE(interrupted.at(0).at(0).toStringList(), QStringList { id });
        QCOMPARE(sql(QStringLiteral("SELECT status FROM executions WHERE id = '%1'").arg(id)),
            QStringLiteral("interrupted"));
    }

    // A stopped instance leaves its rows to the others at once (no lease to wait for).
    void stoppedInstanceIsReaped()
    {
        auto b = node(QStringLiteral("b"));
        auto c = node(QStringLiteral("c"));
        QVERIFY(b && c);
        const QString id = newId();
        addExecution(id, c->instanceId());
        QSignalSpy interrupted(b.get(), &ClusterNode::interruptedByLease);
        QTest::qWait(300); // several heartbeats: a live instance's execution is left alone
        QCOMPARE(sql(QStringLiteral("SELECT status FROM executions WHERE id = '%1'").arg(id)),
            QStringLiteral("running"));
        c->stop();
        QTRY_COMPARE(sql(QStringLiteral("SELECT status FROM executions WHERE id = '%1'").arg(id)),
            QStringLiteral("interrupted"));
    }

    void cancelReachesTheOwner()
    {
        auto a = node(QStringLiteral("a"));
        auto b = node(QStringLiteral("b"));
        QVERIFY(a && b);
        QSignalSpy onA(a.get(), &ClusterNode::cancelRequested);
        QSignalSpy onB(b.get(), &ClusterNode::cancelRequested);
        const QString id = newId();
        addExecution(id, a->instanceId());
        b->routeCancel(id);
        QTRY_COMPARE(onA.size(), 1);
        QCOMPARE(onA.at(0).at(0).toString(), id);
        QCOMPARE(onB.size(), 0);
    }

    void prunesFinishedExecutionsEvents()
    {
        const QString old = newId(), recent = newId();
        sql(QStringLiteral("INSERT INTO executions (id, status, completed_at) VALUES "
                           "('%1', 'completed', now() - interval '1 hour'), ('%2', 'completed', now())")
                .arg(old, recent));
        sql(QStringLiteral("INSERT INTO execution_events (execution_id, seq, event) VALUES "
                           "('%1', 1, '{}'), ('%2', 1, '{}')")
                .arg(old, recent));
        auto a = node(QStringLiteral("a"), 60000);
        QVERIFY(a);
        QTRY_COMPARE(
            sql(QStringLiteral("SELECT string_agg(execution_id, ',') FROM execution_events")), recent);
    }
};

QTEST_GUILESS_MAIN(TestClusterNode)
#include "tst_clusternode.moc"
