#include "core/providers/NdjsonParser.h"

namespace {

QByteArray trimmedLine(QByteArray line)
{
    while (!line.isEmpty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.chop(1);
    qsizetype start = 0;
    while (start < line.size() && (line.at(start) == ' ' || line.at(start) == '\t'))
        ++start;
    return start ? line.sliced(start) : line;
}

} // namespace

QList<QByteArray> NdjsonParser::feed(QByteArrayView bytes)
{
    QList<QByteArray> out;
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype nl = bytes.indexOf('\n', pos);
        if (nl < 0) {
            m_buffer.append(bytes.sliced(pos));
            break;
        }
        m_buffer.append(bytes.sliced(pos, nl - pos));
        QByteArray line = trimmedLine(std::move(m_buffer));
        m_buffer.clear();
        if (!line.isEmpty())
            out.append(std::move(line));
        pos = nl + 1;
    }
    return out;
}

QByteArray NdjsonParser::finish()
{
    QByteArray line = trimmedLine(std::move(m_buffer));
    m_buffer.clear();
    return line;
}
