#include "ui/eval/SaveCaseDialog.h"

#include "ui/common/FileDialog.h"
#include "ui/common/JsonEditor.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace {
const QString kDatasetFilter = QStringLiteral("Eval datasets (*.eval.json);;All files (*)");
}

SaveCaseDialog::SaveCaseDialog(
    const QJsonObject &caseObject, const QJsonObject &target, const QString &datasetPath, QWidget *parent)
    : QDialog(parent)
    , m_target(target)
    , m_id(new QLineEdit(this))
    , m_json(new JsonEditor(this))
    , m_dataset(new QLineEdit(this))
    , m_existing(new QPushButton(tr("Existing…"), this))
    , m_new(new QPushButton(tr("New…"), this))
    , m_error(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("saveCaseDialog"));
    setWindowTitle(tr("Save as Test Case"));
    m_id->setObjectName(QStringLiteral("saveCaseId"));
    m_json->setObjectName(QStringLiteral("saveCaseJson"));
    m_json->setAllowEmpty(false);
    m_json->setPreferredLines(18);
    m_dataset->setObjectName(QStringLiteral("saveCaseDataset"));
    m_dataset->setPlaceholderText(tr("a *.eval.json file (created when it does not exist)"));
    m_existing->setObjectName(QStringLiteral("saveCaseExisting"));
    m_new->setObjectName(QStringLiteral("saveCaseNew"));
    m_error->setObjectName(QStringLiteral("saveCaseError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c62828"));
    m_buttons->setObjectName(QStringLiteral("saveCaseButtons"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Save Case"));

    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_dataset, 1);
    fileRow->addWidget(m_existing);
    fileRow->addWidget(m_new);
    auto *form = new QFormLayout;
    form->addRow(tr("Case id:"), m_id);
    form->addRow(tr("Dataset:"), fileRow);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("The case, pre-filled from what the run did (edit as needed):"), this));
    layout->addWidget(m_json, 1);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    m_json->setJsonValue(caseObject);
    m_id->setText(caseObject.value(QLatin1String("id")).toString());
    m_dataset->setText(datasetPath);
    connect(m_id, &QLineEdit::textEdited, this, &SaveCaseDialog::onIdEdited);
    connect(m_json, &JsonEditor::textChanged, this, &SaveCaseDialog::onJsonEdited);
    connect(m_dataset, &QLineEdit::textChanged, this, &SaveCaseDialog::updateState);
    connect(m_existing, &QPushButton::clicked, this, &SaveCaseDialog::chooseExisting);
    connect(m_new, &QPushButton::clicked, this, &SaveCaseDialog::chooseNew);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SaveCaseDialog::requestSave);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    resize(640, 560);
    updateState();
}

QString SaveCaseDialog::caseId() const
{
    return m_id->text().trimmed();
}

void SaveCaseDialog::setCaseId(const QString &id)
{
    m_id->setText(id);
    onIdEdited();
}

QString SaveCaseDialog::datasetPath() const
{
    return m_dataset->text().trimmed();
}

void SaveCaseDialog::setDatasetPath(const QString &path)
{
    m_dataset->setText(path);
}

QJsonObject SaveCaseDialog::caseObject() const
{
    const QJsonValue v = m_json->jsonValue();
    if (!v.isObject())
        return {};
    QJsonObject o = v.toObject();
    o.insert(QStringLiteral("id"), caseId());
    return o;
}

QString SaveCaseDialog::problem() const
{
    if (caseId().isEmpty())
        return tr("The case needs an id.");
    if (!m_json->isValid())
        return tr("The case JSON is not valid: %1").arg(m_json->errorText());
    if (!m_json->jsonValue().isObject())
        return tr("The case must be a JSON object.");
    if (datasetPath().isEmpty())
        return tr("Choose the dataset file the case goes into.");
    return {};
}

void SaveCaseDialog::requestSave()
{
    if (m_saving || !problem().isEmpty())
        return;
    m_saving = true;
    m_error->clear();
    updateState();
    emit saveRequested(datasetPath(), m_target, caseObject());
}

void SaveCaseDialog::saveFinished(const QString &error)
{
    m_saving = false;
    if (error.isEmpty()) {
        accept();
        return;
    }
    m_error->setText(error);
    updateState();
}

void SaveCaseDialog::chooseExisting()
{
    const QString path = FileDialog::getOpenFileName(
        this, tr("Add the Case to a Dataset"), QFileInfo(datasetPath()).absolutePath(), kDatasetFilter);
    if (!path.isEmpty())
        m_dataset->setText(QDir::toNativeSeparators(path));
}

void SaveCaseDialog::chooseNew()
{
    QString path = FileDialog::getSaveFileName(
        this, tr("New Dataset"), QFileInfo(datasetPath()).absolutePath(), kDatasetFilter);
    if (path.isEmpty())
        return;
    if (!path.endsWith(QLatin1String(".json")))
        path += QStringLiteral(".eval.json");
    m_dataset->setText(QDir::toNativeSeparators(path));
}

void SaveCaseDialog::onIdEdited()
{
    if (m_syncing)
        return;
    const QJsonValue v = m_json->jsonValue();
    if (v.isObject()) {
        QJsonObject o = v.toObject();
        o.insert(QStringLiteral("id"), caseId());
        m_syncing = true;
        m_json->setJsonValue(o);
        m_syncing = false;
    }
    updateState();
}

void SaveCaseDialog::onJsonEdited()
{
    if (m_syncing)
        return;
    const QJsonValue v = m_json->jsonValue();
    const QJsonValue id = v.toObject().value(QLatin1String("id"));
    if (id.isString() && id.toString() != m_id->text()) {
        m_syncing = true;
        m_id->setText(id.toString());
        m_syncing = false;
    }
    updateState();
}

void SaveCaseDialog::updateState()
{
    const QString why = problem();
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(why.isEmpty() && !m_saving);
    m_buttons->button(QDialogButtonBox::Ok)->setToolTip(why);
    m_id->setEnabled(!m_saving);
    m_json->setReadOnly(m_saving);
    if (m_error->text().isEmpty() || !m_saving)
        m_error->setVisible(!m_error->text().isEmpty());
}
