import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "logic.js" as Logic

// Balance, a pay form, the receipt of the last payment and the history.
Rectangle {
    id: root
    property var bridge
    readonly property string amountError: amount.text === "" ? "" : Logic.validateAmount(amount.text)
    readonly property bool formValid: recipient.text.trim() !== "" && amount.text !== ""
                                      && amountError === ""
    property string submitError: ""
    property string bankFingerprintError: ""
    readonly property alias recipientField: recipient
    readonly property alias amountField: amount
    readonly property alias payButton: payButton
    color: theme.page

    // Opening the wallet asks the bank (nothing polls it): money that came
    // while the wallet was closed and no notice told us shows now.
    onVisibleChanged: if (visible && root.bridge) root.bridge.refreshWallet()

    function saveBankFingerprint() {
        root.bankFingerprintError = root.bridge.setBankFingerprint(bankFingerprint.text)
    }

    readonly property alias confirmDialog: confirm

    // Paying always asks first; the amount stays until the bank confirms,
    // so a refused payment can be tried again as it was.
    function submit() {
        if (!formValid || root.bridge.paying)
            return
        root.submitError = ""
        confirm.to = recipient.text.trim().toLowerCase()
        confirm.amount = amount.text
        confirm.open()
    }

    function confirmed() {
        confirm.close()
        root.submitError = root.bridge.pay(confirm.to, confirm.amount)
    }

    Connections {
        target: root.bridge
        function onReceiptArrived(receipt) {
            if (receipt && receipt.ok)
                amount.text = ""
        }
    }

    Popup {
        id: confirm
        objectName: "payConfirm"
        property string to: ""
        property string amount: ""
        modal: true
        focus: true
        anchors.centerIn: Overlay.overlay
        width: Math.min(420, root.width - 40)
        padding: 24
        background: Rectangle { radius: 14; color: theme.card }
        onOpened: cancelPay.forceActiveFocus()
        ColumnLayout {
            anchors.left: parent.left; anchors.right: parent.right
            spacing: 14
            Text {
                objectName: "payConfirmText"
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: "Pay " + confirm.amount + " to " + confirm.to + "?"
                font.pixelSize: 18; font.bold: true; color: theme.text
            }
            Text {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: "The bank moves the money at once; a payment cannot be taken back."
                color: theme.muted; font.pixelSize: 13
            }
            RowLayout {
                Layout.alignment: Qt.AlignRight
                spacing: 8
                Button {
                    id: cancelPay
                    objectName: "payCancelButton"
                    text: "Cancel"
                    onClicked: confirm.close()
                    Keys.onReturnPressed: confirm.close()
                }
                Button {
                    id: confirmPay
                    objectName: "payConfirmButton"
                    text: "Pay " + confirm.amount
                    onClicked: root.confirmed()
                    contentItem: Text {
                        text: confirmPay.text; color: "white"; font.bold: true
                        horizontalAlignment: Text.AlignHCenter
                        verticalAlignment: Text.AlignVCenter
                    }
                    background: Rectangle {
                        radius: 8; implicitHeight: 38; implicitWidth: 110
                        color: confirmPay.down ? theme.accentDark : theme.accent
                    }
                }
            }
        }
    }

    Flickable {
        anchors.fill: parent
        contentHeight: content.implicitHeight + 48
        clip: true
        ScrollBar.vertical: ScrollBar {}

        ColumnLayout {
            id: content
            x: 24; y: 24
            width: parent.width - 48
            spacing: 16

            Text { text: "Wallet"; font.pixelSize: 24; font.bold: true; color: theme.text }

            RowLayout {
                Layout.fillWidth: true
                spacing: 16

                // Balance
                Rectangle {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    Layout.alignment: Qt.AlignTop
                    implicitHeight: 170
                    radius: 14
                    gradient: Gradient {
                        GradientStop { position: 0; color: "#3b6ff5" }
                        GradientStop { position: 1; color: "#6a4cf0" }
                    }
                    ColumnLayout {
                        anchors.fill: parent; anchors.margins: 20
                        spacing: 6
                        Text { text: "Balance"; color: "#dfe6ff"; font.pixelSize: 13 }
                        Text {
                            objectName: "balanceText"
                            text: root.bridge && root.bridge.hasAccount ? root.bridge.balance : "\u2014"
                            color: "white"; font.pixelSize: 34; font.bold: true
                        }
                        Text {
                            Layout.fillWidth: true
                            text: root.bridge && root.bridge.hasAccount
                                  ? "Account of " + root.bridge.user + " at the bank"
                                  : "Opening your account\u2026"
                            color: "#dfe6ff"; font.pixelSize: 12
                            elide: Text.ElideRight
                        }
                        Item { Layout.fillHeight: true }
                        Button {
                            id: refresh
                            text: "Refresh"
                            onClicked: root.bridge.refreshWallet()
                            contentItem: Text { text: refresh.text; color: "white"; font.pixelSize: 12 }
                            background: Rectangle { radius: 6; color: "#33ffffff"; implicitWidth: 80; implicitHeight: 28 }
                        }
                    }
                }

                // Pay
                Rectangle {
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    Layout.alignment: Qt.AlignTop
                    implicitHeight: payColumn.implicitHeight + 36
                    radius: 14; color: theme.card; border.color: theme.border
                    ColumnLayout {
                        id: payColumn
                        anchors.left: parent.left; anchors.right: parent.right
                        anchors.top: parent.top; anchors.margins: 18
                        spacing: 8
                        Text { text: "Send money"; font.pixelSize: 16; font.bold: true; color: theme.text }
                        TextField {
                            id: recipient
                            objectName: "recipientField"
                            Layout.fillWidth: true
                            placeholderText: "Recipient (username)"
                        }
                        TextField {
                            id: amount
                            objectName: "amountField"
                            Layout.fillWidth: true
                            placeholderText: "Amount, e.g. 12.50"
                            inputMethodHints: Qt.ImhFormattedNumbersOnly
                            onAccepted: root.submit()
                        }
                        Text {
                            objectName: "amountError"
                            Layout.fillWidth: true
                            visible: text !== ""
                            text: root.amountError !== "" ? root.amountError : root.submitError
                            color: theme.danger; font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                        Button {
                            id: payButton
                            objectName: "payButton"
                            Layout.fillWidth: true
                            text: root.bridge && root.bridge.paying ? "Paying\u2026" : "Pay"
                            enabled: root.formValid && !(root.bridge && root.bridge.paying)
                            onClicked: root.submit()
                            contentItem: Text {
                                text: payButton.text; color: "white"; font.bold: true
                                horizontalAlignment: Text.AlignHCenter
                                verticalAlignment: Text.AlignVCenter
                            }
                            background: Rectangle {
                                radius: 8
                                implicitHeight: 38
                                color: payButton.enabled ? theme.accent : theme.disabled
                            }
                        }
                    }
                }
            }

            // Receipt of the last payment
            Rectangle {
                id: receiptCard
                objectName: "receiptCard"
                readonly property var r: root.bridge ? root.bridge.lastReceipt : ({})
                readonly property bool has: r !== undefined && r !== null && r.ok !== undefined
                visible: has
                Layout.fillWidth: true
                implicitHeight: receiptText.implicitHeight + 28
                radius: 12
                color: has && r.ok ? theme.goodBg : theme.dangerBg
                border.color: has && r.ok ? theme.good : theme.danger
                Text {
                    id: receiptText
                    objectName: "receiptText"
                    anchors.fill: parent; anchors.margins: 14
                    wrapMode: Text.Wrap
                    color: theme.text; font.pixelSize: 13
                    text: !receiptCard.has ? ""
                        : receiptCard.r.ok
                          ? "\u2713 Paid " + receiptCard.r.amount + " to " + receiptCard.r.to
                            + (receiptCard.r.replayed ? " (already done before)" : "")
                            + "\nBalance now " + receiptCard.r.balance + " \u00b7 ledger #"
                            + receiptCard.r.seq + " \u00b7 " + receiptCard.r.time
                            + "\nTransfer " + receiptCard.r.transferId
                          : "\u2717 " + receiptCard.r.message
                }
            }

            Text {
                visible: root.bridge && root.bridge.walletError !== "" && !receiptCard.visible
                text: root.bridge ? root.bridge.walletError : ""
                color: theme.danger
                Layout.fillWidth: true
                wrapMode: Text.Wrap
            }

            // The bank's key comes from its operator, never from a router.
            Rectangle {
                Layout.fillWidth: true
                implicitHeight: bankColumn.implicitHeight + 28
                radius: 14; color: theme.card; border.color: theme.border
                ColumnLayout {
                    id: bankColumn
                    anchors.left: parent.left; anchors.right: parent.right
                    anchors.top: parent.top; anchors.margins: 14
                    spacing: 6
                    Text {
                        Layout.fillWidth: true
                        text: root.bridge && root.bridge.bankFingerprint !== ""
                              ? "The wallet talks only to the bank with this key fingerprint:"
                              : "The bank's fingerprint (ask the bank's operator): the wallet sends nothing to a bank whose key is not verified."
                        color: theme.text; font.pixelSize: 12
                        wrapMode: Text.Wrap
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        TextField {
                            id: bankFingerprint
                            objectName: "bankFingerprintField"
                            Layout.fillWidth: true
                            placeholderText: "64 hex digits, e.g. 0589 729d …"
                            text: root.bridge ? root.bridge.bankFingerprint : ""
                            font.family: "monospace"; font.pixelSize: 12
                            onAccepted: root.saveBankFingerprint()
                        }
                        Button {
                            objectName: "bankFingerprintSave"
                            text: "Save"
                            highlighted: true
                            enabled: root.bridge && bankFingerprint.text.trim() !== root.bridge.bankFingerprint
                            onClicked: root.saveBankFingerprint()
                        }
                    }
                    Text {
                        objectName: "bankFingerprintError"
                        Layout.fillWidth: true
                        visible: text !== ""
                        text: root.bankFingerprintError
                        color: theme.danger; font.pixelSize: 12
                        wrapMode: Text.Wrap
                    }
                }
            }

            Text { text: "History"; font.pixelSize: 16; font.bold: true; color: theme.text }

            Rectangle {
                Layout.fillWidth: true
                implicitHeight: Math.max(60, history.contentHeight + 8)
                radius: 14; color: theme.card; border.color: theme.border
                ListView {
                    id: history
                    objectName: "walletHistory"
                    anchors.fill: parent; anchors.margins: 4
                    interactive: false
                    model: root.bridge ? root.bridge.wallet : null
                    delegate: Item {
                        required property string time
                        required property string counterparty
                        required property string amount
                        required property string balance
                        required property bool incoming
                        required property string kind
                        width: ListView.view.width
                        height: 56
                        RowLayout {
                            anchors.fill: parent; anchors.leftMargin: 14; anchors.rightMargin: 14
                            spacing: 12
                            Rectangle {
                                width: 34; height: 34; radius: 17
                                color: incoming ? theme.goodBg : theme.chip
                                Text { anchors.centerIn: parent; text: incoming ? "\u2199" : "\u2197"
                                       color: incoming ? theme.good : theme.muted; font.pixelSize: 16 }
                            }
                            Column {
                                Layout.fillWidth: true
                                Text { text: (incoming ? (kind === "issue" ? "Issued to you" : "From " + counterparty)
                                                      : "To " + counterparty)
                                       color: theme.text; font.pixelSize: 14 }
                                Text { text: time; color: theme.muted; font.pixelSize: 11 }
                            }
                            Column {
                                Text { anchors.right: parent.right; text: amount
                                       color: incoming ? theme.good : theme.text
                                       font.pixelSize: 14; font.bold: true }
                                Text { anchors.right: parent.right; text: "balance " + balance
                                       color: theme.muted; font.pixelSize: 11 }
                            }
                        }
                        Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: theme.rule }
                    }
                    Text {
                        anchors.centerIn: parent
                        visible: history.count === 0
                        text: "No transfers yet."
                        color: theme.muted
                    }
                }
            }
        }
    }
}
