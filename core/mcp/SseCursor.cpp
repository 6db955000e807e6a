#include "core/mcp/SseCursor.h"

void SseCursor::feed(QByteArrayView bytes)
{
    const char *p = bytes.data();
    const char *const end = p + bytes.size();
    // CR, LF and CRLF all end a line; the LF of a CRLF just ends one more, empty line, which
    // carries no field: nothing to track across reads.
    while (p < end) {
        const char *eol = p;
        while (eol < end && *eol != '\n' && *eol != '\r')
            ++eol;
        if (!m_overlong) {
            if (m_line.size() + (eol - p) > kMaxFieldLine)
                m_overlong = true;
            else
                m_line.append(p, eol - p);
        }
        if (eol == end)
            break;
        if (!m_overlong)
            processLine(m_line);
        m_line.clear();
        m_overlong = false;
        p = eol + 1;
    }
}

void SseCursor::processLine(QByteArrayView line)
{
    QByteArrayView value;
    QByteArrayView field = line;
    const qsizetype colon = line.indexOf(':');
    if (colon >= 0) {
        field = line.first(colon);
        value = line.sliced(colon + 1);
        if (value.startsWith(' '))
            value = value.sliced(1);
    }
    if (field == "id" && !value.contains('\0')) {
        m_lastEventId = QString::fromUtf8(value);
    } else if (field == "retry" && !value.isEmpty()) {
        bool ok = false;
        const int ms = value.toInt(&ok);
        bool digitsOnly = true;
        for (const char c : value)
            digitsOnly = digitsOnly && c >= '0' && c <= '9';
        if (ok && digitsOnly)
            m_retryMs = ms;
    }
}
