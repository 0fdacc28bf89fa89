import QtQuick
import QtTest
import "../qml"

// The pay form: validation before sending, the receipt afterwards.
Item {
    width: 800; height: 600

    FakeBridge { id: fake }
    WalletPage { id: page; anchors.fill: parent; bridge: fake }

    TestCase {
        name: "Wallet"
        when: windowShown

        function init() {
            fake.reset()
            page.recipientField.text = ""
            page.amountField.text = ""
        }

        // No timer asks the bank: opening the wallet does, once.
        function test_opening_the_wallet_asks_the_bank() {
            page.visible = false
            compare(fake.walletRefreshes, 0)
            page.visible = true
            compare(fake.walletRefreshes, 1)
            wait(50)
            compare(fake.walletRefreshes, 1)
        }

        function test_invalid_amounts_block_paying() {
            page.recipientField.text = "bob"
            var err = findChild(page, "amountError")
            var cases = [["1.234", "At most two decimals."], ["0", "The amount must be more than zero."],
                         ["-3", "The amount must be positive."], ["abc", "Write the amount like 12.50."]]
            for (var i = 0; i < cases.length; ++i) {
                page.amountField.text = cases[i][0]
                compare(err.text, cases[i][1])
                verify(err.visible)
                verify(!page.payButton.enabled, cases[i][0])
            }
            mouseClick(page.payButton)
            compare(fake.payments.length, 0)
        }

        function test_valid_payment_goes_out_and_receipt_shows() {
            page.recipientField.text = "bob"
            page.amountField.text = "12.50"
            verify(page.payButton.enabled)
            compare(findChild(page, "amountError").visible, false)
            mouseClick(page.payButton)
            tryCompare(page.confirmDialog, "opened", true)
            mouseClick(findChild(page, "payConfirmButton"))
            compare(fake.payments.length, 1)
            compare(fake.payments[0].to, "bob")
            compare(fake.payments[0].amount, "12.50")
            verify(!page.payButton.enabled) // one payment at a time
            var card = findChild(page, "receiptCard")
            verify(!card.visible)
            fake.paying = false
            fake.lastReceipt = { ok: true, to: "bob", amount: "12.50", balance: "87.50",
                                 transferId: "t-1", seq: 7, replayed: false, time: "now" }
            tryCompare(card, "visible", true)
            verify(findChild(page, "receiptText").text.indexOf("Paid 12.50 to bob") >= 0)
        }

        function test_paying_asks_first_and_keeps_the_amount_until_paid() {
            fake.openConversation("dana") // the open chat fills in nothing
            compare(page.recipientField.text, "")
            page.recipientField.text = "eli"
            page.amountField.text = "12.34"
            page.amountField.forceActiveFocus()
            keyClick(Qt.Key_Return)
            compare(fake.payments.length, 0)
            tryCompare(page.confirmDialog, "opened", true)
            compare(findChild(page, "payConfirmText").text, "Pay 12.34 to eli?")
            keyClick(Qt.Key_Return) // a second Enter does not pay either
            compare(fake.payments.length, 0)
            tryCompare(page.confirmDialog, "visible", false)
            mouseClick(page.payButton)
            tryCompare(page.confirmDialog, "opened", true)
            mouseClick(findChild(page, "payConfirmButton"))
            compare(fake.payments.length, 1)
            compare(fake.payments[0].to, "eli")
            compare(fake.payments[0].amount, "12.34")
            fake.paying = false
            fake.receiptArrived({ ok: false, message: "The bank refused" })
            compare(page.amountField.text, "12.34")
            fake.receiptArrived({ ok: true, to: "eli", amount: "12.34" })
            compare(page.amountField.text, "")
        }

        function test_bank_refusal_in_words() {
            fake.lastReceipt = { ok: false, message: "The bank refused: insufficient funds" }
            var card = findChild(page, "receiptCard")
            tryCompare(card, "visible", true)
            verify(findChild(page, "receiptText").text.indexOf("insufficient funds") >= 0)
        }

        function test_bank_fingerprint_is_set_in_the_wallet() {
            var field = findChild(page, "bankFingerprintField")
            var save = findChild(page, "bankFingerprintSave")
            var err = findChild(page, "bankFingerprintError")
            field.text = "not a fingerprint"
            mouseClick(save)
            verify(err.visible)
            compare(fake.bankFingerprint, "")
            var fp = "0589 729d 2580 0007 b301 6916 54cd 21d3 4ab4 417e da4e e006 4761 d235 e48a d1ec"
            field.text = fp
            mouseClick(save)
            compare(fake.bankFingerprint, fp)
            verify(!err.visible)
            verify(!save.enabled)
        }

        function test_balance_shown() {
            compare(findChild(page, "balanceText").text, "100.00")
        }
    }
}
