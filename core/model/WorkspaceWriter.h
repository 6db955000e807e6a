#pragma once

#include <QByteArray>
#include <QJsonObject>

// Writes a workspace object (Workspace::toJson()) as readable, stable JSON text: known keys in
// the order of docs/workspace-format.md (id, name, version, model, … for an agent; name, type, desc, … for a
// field), unknown keys after them in alphabetical order, two-space indentation, and any object
// or list that fits in 100 columns on one line. Saving an unchanged workspace written this way
// reproduces it byte for byte, so a workspace kept in git shows only real changes.
QByteArray formatWorkspaceJson(const QJsonObject &workspace);
