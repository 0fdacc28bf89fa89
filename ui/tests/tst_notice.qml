import QtQuick
import QtTest
import "../qml"

// Notices sit in a strip above the chat (never over a message) and stay
// with the chat they were said in.
Item {
    width: 800; height: 600

    FakeBridge { id: fake }
    Column {
        anchors.fill: parent
        NoticeBar { id: bar; width: parent.width; bridge: fake }
        ChatView { id: view; width: parent.width; height: parent.height - bar.height; bridge: fake }
    }

    TestCase {
        name: "Notice"
        when: windowShown

        function init() { fake.reset(); fake.notice = "" }

        function test_notice_does_not_cover_the_chat_and_does_not_follow() {
            fake.openConversation("bob")
            fake.notice = "There is no user called bobb on this router; check the spelling."
            tryCompare(bar, "visible", true)
            verify(bar.height > 0)
            // The chat starts below the strip.
            tryVerify(function () { return view.y >= bar.height })
            fake.openConversation("carol")
            compare(fake.notice, "")
            tryCompare(bar, "visible", false)
        }
    }
}
