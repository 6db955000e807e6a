#pragma once

#include <QByteArray>
#include <QTemporaryDir>

// Makes "no secret service" deterministic: no session bus address, no display to autolaunch
// one, and a runtime dir with no bus socket in it. Call before the first keychain job.
inline void isolateFromSessionBus(const QTemporaryDir &runtimeDir)
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    qunsetenv("DISPLAY");
    qunsetenv("WAYLAND_DISPLAY");
    qputenv("XDG_RUNTIME_DIR", runtimeDir.path().toLocal8Bit());
}
