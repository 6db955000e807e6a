#include "core/providers/SseParser.h"

QList<SseParser::Event> SseParser::feed(QByteArrayView bytes)
{
    QList<Event> out;
    qsizetype pos = 0;
    if (m_skipLeadingLf && !bytes.isEmpty()) {
        m_skipLeadingLf = false;
        if (bytes.at(0) == '\n')
            pos = 1;
    }
    const qsizetype size = bytes.size();
    while (pos < size) {
        // Find the next line terminator in the new bytes.
        qsizetype end = pos;
        const char *data = bytes.data();
        while (end < size && data[end] != '\n' && data[end] != '\r')
            ++end;
        if (end == size) {
            m_buffer.append(data + pos, end - pos);
            break;
        }
        if (m_buffer.isEmpty()) {
            processLine(bytes.sliced(pos, end - pos), &out);
        } else {
            m_buffer.append(data + pos, end - pos);
            const QByteArray line = std::move(m_buffer);
            m_buffer.clear();
            processLine(line, &out);
        }
        if (data[end] == '\r') {
            if (end + 1 < size) {
                if (data[end + 1] == '\n')
                    ++end;
            } else {
                m_skipLeadingLf = true; // the LF of a CRLF may come with the next read
            }
        }
        pos = end + 1;
    }
    return out;
}

void SseParser::processLine(QByteArrayView line, QList<Event> *out)
{
    if (!m_bomChecked) {
        m_bomChecked = true;
        if (line.startsWith("\xEF\xBB\xBF"))
            line = line.sliced(3);
    }
    if (line.isEmpty()) {
        // Dispatch. Without data the event is dropped, but the type is reset either way.
        if (m_hasData) {
            Event e;
            e.event = m_eventType;
            e.data = m_data;
            e.id = m_lastEventId;
            out->append(std::move(e));
        }
        m_data.clear();
        m_eventType.clear();
        m_hasData = false;
        m_fieldSeen = false;
        return;
    }
    if (line.at(0) == ':')
        return; // comment / keep-alive
    m_fieldSeen = true;
    QByteArrayView field = line;
    QByteArrayView value;
    const qsizetype colon = line.indexOf(':');
    if (colon >= 0) {
        field = line.first(colon);
        value = line.sliced(colon + 1);
        if (!value.isEmpty() && value.at(0) == ' ')
            value = value.sliced(1);
    }
    if (field == "data") {
        if (m_hasData)
            m_data.append('\n');
        m_data.append(value);
        m_hasData = true;
    } else if (field == "event") {
        m_eventType = QString::fromUtf8(value);
    } else if (field == "id") {
        if (!value.contains('\0'))
            m_lastEventId = QString::fromUtf8(value);
    }
    // "retry" and unknown fields are ignored.
}

bool SseParser::finish()
{
    const bool pending = hasPendingData();
    m_buffer.clear();
    m_data.clear();
    m_eventType.clear();
    m_hasData = false;
    m_fieldSeen = false;
    m_skipLeadingLf = false;
    return pending;
}

bool SseParser::hasPendingData() const
{
    return !m_buffer.isEmpty() || m_fieldSeen;
}

void SseParser::reset()
{
    finish();
    m_lastEventId.clear();
    m_bomChecked = false;
}
