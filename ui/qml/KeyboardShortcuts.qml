import QtQuick
import "logic.js" as Logic

// The app's keyboard shortcuts (listed in the README). Dialogs close with
// Esc themselves; the router-key prompt keeps its own keys. The app has one
// window; application-wide shortcuts also work where no window manager
// marks it active (Xvfb).
Item {
    id: root
    property var bridge
    property var chatView
    property var sidebar
    /// False while the setup page shows or a modal prompt is up.
    property bool active: true
    signal tabRequested(string tab)
    signal quitRequested()

    function moveChat(step) {
        if (!root.bridge)
            return
        var next = Logic.adjacentPeer(root.bridge.contacts.names(), root.bridge.currentPeer, step)
        if (next !== "") {
            root.tabRequested("chats")
            root.bridge.openConversation(next)
        }
    }

    Shortcut {
        context: Qt.ApplicationShortcut
        objectName: "findShortcut"
        sequences: [StandardKey.Find]
        enabled: root.active
        onActivated: { root.tabRequested("chats"); root.chatView.openSearch() }
    }
    Shortcut {
        context: Qt.ApplicationShortcut
        sequences: ["Ctrl+N"]
        enabled: root.active
        onActivated: { root.tabRequested("chats"); root.sidebar.focusNewChat(false) }
    }
    Shortcut {
        context: Qt.ApplicationShortcut
        // Jump to a chat: the sidebar's field filters the list as you type.
        sequences: ["Ctrl+K"]
        enabled: root.active
        onActivated: { root.tabRequested("chats"); root.sidebar.focusNewChat(true) }
    }
    Shortcut {
        context: Qt.ApplicationShortcut
        sequences: ["Ctrl+Tab", "Alt+Down"]
        enabled: root.active
        onActivated: root.moveChat(1)
    }
    Shortcut {
        context: Qt.ApplicationShortcut
        sequences: ["Ctrl+Shift+Tab", "Ctrl+Backtab", "Alt+Up"]
        enabled: root.active
        onActivated: root.moveChat(-1)
    }
    Shortcut {
        context: Qt.ApplicationShortcut
        objectName: "settingsShortcut"
        sequences: ["Ctrl+,"]
        enabled: root.active
        onActivated: root.tabRequested("settings")
    }
    Shortcut {
        context: Qt.ApplicationShortcut
        sequences: [StandardKey.Quit, "Ctrl+Q"]
        onActivated: root.quitRequested()
    }
}
