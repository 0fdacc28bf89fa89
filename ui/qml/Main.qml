import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Window
import "logic.js" as Logic

ApplicationWindow {
    id: window
    // Fit smaller screens: never larger than what the screen offers.
    width: Math.min(1100, Screen.desktopAvailableWidth)
    height: Math.min(720, Screen.desktopAvailableHeight)
    minimumWidth: Math.min(800, Screen.desktopAvailableWidth)
    minimumHeight: Math.min(600, Screen.desktopAvailableHeight)
    visible: true
    title: Logic.windowTitle(appBridge.signedIn, appBridge.user,
                             appBridge.contacts.totalUnread)
    color: theme.page
    // One set of button colours: plain buttons light grey, the main action
    // of a view (highlighted) in the accent colour; the controls follow the
    // light or dark theme.
    palette.button: theme.button
    palette.buttonText: theme.text
    palette.window: theme.card
    palette.windowText: theme.text
    palette.base: theme.card
    palette.text: theme.text
    palette.placeholderText: theme.muted
    palette.mid: theme.border
    palette.midlight: theme.chip
    palette.light: theme.card
    palette.toolTipBase: theme.card
    palette.toolTipText: theme.text
    palette.highlight: theme.accent
    palette.highlightedText: "white"
    palette.dark: theme.accent      // Basic draws highlighted buttons with it
    palette.brightText: "white"

    property string tab: typeof startTab === "string"
                         && (startTab === "wallet" || startTab === "settings") ? startTab : "chats"

    ConnectionManager { id: connection; bridge: appBridge }
    // The size it had when it was closed, clamped to this screen.
    WindowMemory { id: windowMemory; bridge: appBridge; appWindow: window }
    Component.onCompleted: windowMemory.restore()
    onClosing: windowMemory.save()
    // Light, dark or as the system: the saved choice colours every page.
    Binding { target: theme; property: "mode"; value: appBridge.themeMode }

    Timer {
        // Presence: who is online, every few seconds while connected.
        interval: 3000
        repeat: true
        running: appBridge.status === "connected"
        onTriggered: appBridge.refreshPresence()
    }

    Connections {
        target: appBridge
        function onWalletRequested() { window.tab = "wallet" }
        function onSignedInChanged() { window.openStartPeer() }
        // Not on the router key's acceptance: the connection it came on is
        // closed right after, and the next one's "connected" opens it.
        function onStatusChanged() { window.openStartPeer() }
    }

    // --open NAME: once, when it can be opened.
    property bool startPeerOpened: false
    function openStartPeer() {
        var peer = typeof startPeer === "string" ? startPeer : ""
        if (startPeerOpened
                || !Logic.startPeerDue(peer, appBridge.signedIn, appBridge.status,
                                       appBridge.routerAccepted,
                                       appBridge.contacts.indexOf(appBridge.normalizeUsername(peer)) >= 0))
            return
        startPeerOpened = true
        appBridge.openConversation(peer)
    }

    SetupPage {
        anchors.fill: parent
        visible: !appBridge.signedIn
        bridge: appBridge
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0
        visible: appBridge.signedIn

        Sidebar {
            id: sidebar
            Layout.fillHeight: true
            Layout.preferredWidth: Math.round(Math.max(240, Math.min(320, window.width * 0.28)))
            bridge: appBridge
            connection: connection
            tab: window.tab
            onTabRequested: function (t) { window.tab = t }
            onRouterInfoRequested: routerPopup.open()
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            // Offline strip
            Rectangle {
                Layout.fillWidth: true
                visible: appBridge.status !== "connected"
                implicitHeight: 34
                color: appBridge.status === "connecting" ? theme.warnBg : theme.dangerBg
                RowLayout {
                    anchors.fill: parent; anchors.leftMargin: 16; anchors.rightMargin: 8
                    Text {
                        Layout.fillWidth: true
                        text: Logic.statusText(appBridge.status, connection.phase, connection.delay)
                              + (appBridge.error !== "" ? " \u2013 " + appBridge.error : "")
                        color: theme.text; font.pixelSize: 12
                        elide: Text.ElideRight
                    }
                    Button { text: "Retry now"; flat: true; visible: appBridge.status === "offline"
                             onClicked: connection.retryNow() }
                }
            }

            NoticeBar { Layout.fillWidth: true; bridge: appBridge }

            StackLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                currentIndex: window.tab === "wallet" ? 1 : window.tab === "settings" ? 2 : 0
                ChatView { id: chatView; bridge: appBridge }
                WalletPage { bridge: appBridge }
                SettingsPage {
                    bridge: appBridge
                    onUserSwitched: window.tab = "chats"
                    onWalletRequested: window.tab = "wallet"
                }
            }
        }
    }

    Notifier { bridge: appBridge; appWindow: window }

    KeyboardShortcuts {
        bridge: appBridge
        chatView: chatView
        sidebar: sidebar
        active: appBridge.signedIn && !routerPopup.visible
        onTabRequested: function (t) { window.tab = t }
        onQuitRequested: window.close()
    }

    // First connection to a router: show its fingerprint and ask.
    RouterKeyDialog { id: routerPopup; bridge: appBridge }
    // A router whose key changed since it was accepted.
    RouterChangedDialog { bridge: appBridge }
}
