#pragma once

#include <QDialog>
#include <QJsonObject>

class JsonEditor;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

// "Save as test case…" (docs/evaluations-ui.md): the case made from a past run, shown before it
// is written — its id (editable), the whole case as JSON (editable, checked as typed), and the
// dataset file it goes into (an existing *.eval.json, or a new one created with the run's
// target). OK does not write: it emits saveRequested; the owner writes off the GUI thread and
// answers with saveFinished (closes on success, shows the error and stays open otherwise, so
// nothing typed is lost).
//
// Object names: saveCaseDialog, saveCaseId, saveCaseJson, saveCaseDataset, saveCaseExisting,
// saveCaseNew, saveCaseError, saveCaseButtons. GUI thread only.
class SaveCaseDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SaveCaseDialog)
public:
    // `caseObject` as eval::caseFromRun made it; `target` the dataset target of the run (used
    // when the file is new); `datasetPath` the suggested file (may be empty).
    SaveCaseDialog(const QJsonObject &caseObject, const QJsonObject &target, const QString &datasetPath,
        QWidget *parent = nullptr);

    QString caseId() const;
    void setCaseId(const QString &id);
    QString datasetPath() const;
    void setDatasetPath(const QString &path);
    // The case as it will be written (the JSON with the id field's value), or {} when invalid.
    QJsonObject caseObject() const;
    QJsonObject target() const { return m_target; }
    // Why OK is disabled ("" when it is not).
    QString problem() const;

    // The owner's answer to saveRequested: "" closes the dialog (accepted), a message is shown.
    void saveFinished(const QString &error);
    // OK: emits saveRequested when there is no problem (tests call it directly).
    void requestSave();

signals:
    void saveRequested(const QString &datasetPath, const QJsonObject &target, const QJsonObject &caseObject);

private:
    void chooseExisting();
    void chooseNew();
    void onIdEdited();
    void onJsonEdited();
    void updateState();

    QJsonObject m_target;
    QLineEdit *m_id;
    JsonEditor *m_json;
    QLineEdit *m_dataset;
    QPushButton *m_existing;
    QPushButton *m_new;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    bool m_syncing = false; // the id field and the JSON update each other
    bool m_saving = false;
};
