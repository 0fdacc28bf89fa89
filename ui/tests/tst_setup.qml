import QtQuick
import QtTest
import "../qml"

// The first screen: what it opens on, the tabs, a card that does not move
// and Enter between the passphrase fields.
Item {
    id: top
    width: 800; height: 700

    FakeBridge { id: fake }
    Component { id: setupPage; SetupPage { anchors.fill: parent } }

    TestCase {
        name: "Setup"
        when: windowShown

        function init() {
            fake.reset()
            fake.user = ""
            fake.knownIdentities = []
            fake.createdUser = ""
            fake.signedInAs = ""
        }

        function make() {
            var page = createTemporaryObject(setupPage, top, { bridge: fake })
            verify(page)
            waitForRendering(page)
            return page
        }

        function test_opens_on_create_identity_when_there_is_none() {
            var page = make()
            verify(page.creating)
            compare(findChild(page, "setupTabs").currentIndex, 1)
            compare(findChild(page, "goButton").text, "Create identity")
        }

        function test_opens_on_sign_in_with_the_one_identity_filled_in() {
            fake.knownIdentities = ["dana"]
            var page = make()
            verify(!page.creating)
            compare(findChild(page, "userField").text, "dana")
            compare(findChild(page, "goButton").text, "Sign in")
        }

        function test_only_the_current_tab_looks_selected() {
            var page = make()
            var create = findChild(page, "tab_1"), signIn = findChild(page, "tab_0")
            verify(create.checked && !signIn.checked)
            verify(!Qt.colorEqual(create.contentItem.color, signIn.contentItem.color))
            verify(create.contentItem.font.bold && !signIn.contentItem.font.bold)
        }

        function test_the_card_does_not_move_as_fields_appear() {
            fake.knownIdentities = ["dana"]
            var page = make()
            var y = page.card.y
            mouseClick(findChild(page, "tab_1"))
            verify(page.creating)
            findChild(page, "passField").text = "correct horse battery"
            waitForRendering(page)
            compare(page.card.y, y)
        }

        function test_enter_in_the_first_passphrase_moves_on() {
            var page = make()
            findChild(page, "userField").text = "dana"
            var pass = findChild(page, "passField")
            pass.forceActiveFocus()
            pass.text = "correct horse battery"
            keyClick(Qt.Key_Return)
            compare(fake.createdUser, "")
            verify(findChild(page, "pass2Field").activeFocus)
            findChild(page, "pass2Field").text = "correct horse battery"
            keyClick(Qt.Key_Return)
            compare(fake.createdUser, "dana")
        }

        // "Switch user" in the settings: the page shows again with the
        // other name, no passphrase left in it; "New identity" shows the
        // page that makes one.
        function test_switching_user_fills_in_the_other_name() {
            fake.knownIdentities = ["alice", "bob"]
            fake.user = "alice"
            fake.signedIn = true
            var page = make()
            findChild(page, "passField").text = "alice's secret"
            fake.switchUser("bob")
            compare(findChild(page, "userField").text, "bob")
            compare(findChild(page, "passField").text, "")
            verify(!page.creating)
            verify(findChild(page, "passField").activeFocus)
            fake.signedIn = true
            fake.switchUser("")
            compare(findChild(page, "userField").text, "")
            verify(page.creating)
            compare(findChild(page, "setupTabs").currentIndex, 1)
        }

        // Issue 16: restore from a backup, from the setup page; once the
        // bridge says it worked, the page is ready to sign in as that user.
        function test_restore_from_backup_goes_through_the_bridge() {
            var page = make()
            mouseClick(findChild(page, "restoreButton"))
            var dialog = findChild(page, "restoreDialog")
            tryVerify(function() { return dialog.opened })
            findChild(dialog, "backupFileField").text = "/tmp/dana.backup"
            findChild(dialog, "backupPassField").text = "backup passphrase"
            findChild(dialog, "backupPass2Field").text = "new passphrase"
            findChild(dialog, "backupPass3Field").text = "other passphrase"
            mouseClick(findChild(dialog, "backupGo"))
            compare(fake.restores.length, 0, "differing passphrases went out")
            verify(findChild(dialog, "backupResult").text.indexOf("differ") >= 0)
            findChild(dialog, "backupPass3Field").text = "new passphrase"
            mouseClick(findChild(dialog, "backupGo"))
            compare(fake.restores, ["/tmp/dana.backup"])
            fake.identityRestored(false, "", "The passphrase does not open this backup.")
            verify(dialog.opened)
            compare(findChild(dialog, "backupResult").text, "The passphrase does not open this backup.")
            fake.identityRestored(true, "dana", "ab".repeat(32))
            tryVerify(function() { return !dialog.opened })
            compare(findChild(page, "userField").text, "dana")
            compare(findChild(page, "setupTabs").currentIndex, 0)
        }
    }
}
