import QtQuick
import Courier.Models 1.0

// Stands in for the C++ Bridge in view tests: same properties, signals and
// invokables, real C++ models, no actors. It records what the views ask.
QtObject {
    id: fake
    property string status: "connected"
    property bool signedIn: true
    property bool busy: false
    property string user: "alice"
    property string server: "127.0.0.1:7400"
    property string home: "/tmp"
    property string myFingerprint: "aaaa bbbb cccc dddd eeee ffff 0000 1111 2222 3333 4444 5555 6666 7777 8888 9999"
    property string routerFingerprint: ""
    property bool routerAccepted: true
    property string currentPeer: ""
    property string balance: "100.00"
    property bool hasAccount: true
    property string walletError: ""
    property var lastReceipt: ({})
    property bool paying: false
    property string error: ""
    property string notice: ""
    property string bankFingerprint: ""

    property ContactsModel contacts: ContactsModel {}
    property MessagesModel messages: MessagesModel {}
    property WalletModel wallet: WalletModel {}

    // What the views did.
    property string lastSent: ""
    property var retried: []
    property string acceptedKeyOf: ""
    property var payments: []
    property int reconnects: 0
    property int resends: 0
    property int routerAccepts: 0
    property var knownIdentities: []
    property string createdUser: ""
    property string signedInAs: ""
    function identities() { return knownIdentities }
    function createIdentity(u, p) { createdUser = u }
    function signIn(u, p) { signedInAs = u }
    property bool routerKeyChanged: false
    property string oldRouterFingerprint: ""
    property string newRouterFingerprint: ""
    property int changedAccepts: 0
    function acceptChangedRouterKey() { changedAccepts += 1; routerKeyChanged = false }
    property int signOuts: 0

    signal connected(string fingerprint, bool newUser)
    signal connectionLost()
    signal connectFailed(string message, bool fatal)
    signal identityCreated(bool ok, string message)
    signal backupWritten(bool ok, string message)
    signal identityRestored(bool ok, string user, string message)
    property var backups: []
    property var restores: []
    function backupIdentity(file, pass) { backups = backups.concat([file]) }
    function restoreIdentity(file, pass, newPass) { restores = restores.concat([file]) }
    signal receiptArrived(var receipt)
    signal messageArrived(string peer, string body)
    signal paymentArrived(string peer, string text)
    signal typingArrived(string peer)
    property bool notificationsEnabled: true
    // Settings: the router list (checked as the bridge does, roughly),
    // the theme and switching users.
    property var routers: ["127.0.0.1:7400"]
    property var routerLists: []
    property string themeMode: "light"
    property var switchedTo: []
    function checkRouter(a) {
        return /^[A-Za-z0-9_.:-]+:[0-9]{1,5}$/.test(String(a).trim()) ? ""
               : "Write the address as HOST:PORT, like 127.0.0.1:7400."
    }
    function setRouters(list) {
        for (var i = 0; i < list.length; ++i)
            if (checkRouter(list[i]) !== "") return list[i] + ": " + checkRouter(list[i])
        if (list.length === 0) return "Keep at least one router."
        routerLists = routerLists.concat([list])
        routers = list
        return ""
    }
    function switchUser(name) {
        switchedTo = switchedTo.concat([name])
        user = name
        signOut()
    }
    // The window's saved size ({} if none) and what the views saved.
    property var savedWindow: ({})
    function windowState() { return savedWindow }
    function saveWindowState(w, h, maximized) {
        savedWindow = { width: w, height: h, maximized: maximized }
    }
    property bool readReceiptsEnabled: true
    property bool typingEnabled: true
    property var markedRead: []
    property var typingTo: []
    function markRead(peer) { markedRead = markedRead.concat([peer]) }
    function sendTyping(peer) { typingTo = typingTo.concat([peer]) }

    function contact(name) { return contacts.get(name) }
    function openConversation(peer) {
        contacts.ensure(peer)
        var unread = contacts.unread(peer)
        currentPeer = peer
        messages.setPeer(peer)
        messages.markUnread(unread)
        contacts.clearUnread(peer)
    }
    function sendMessage(text) {
        lastSent = messages.addOutgoing(currentPeer, user, text.trim())
        return lastSent
    }
    function retry(id) {
        retried = retried.concat([id])
        messages.setSending(id)
    }
    function reconnect() { reconnects += 1 }
    function acceptRouterFingerprint() { routerAccepts += 1; routerAccepted = true }
    function signOut() { signOuts += 1; signedIn = false }
    function resendFailed() { resends += 1; return 2 }
    function acceptNewKey(peer) { acceptedKeyOf = peer }
    property string deleted: ""
    function deleteConversation(peer) {
        deleted = peer
        if (currentPeer === peer) currentPeer = ""
        messages.forget(peer); contacts.remove(peer)
    }
    function verifyContact(peer) {}
    function refreshPresence() {}
    // Search: filters `searchable` ({peer, body, outgoing}) as the client
    // would, newest (last) first.
    property var searchable: []
    property var searchResults: []
    property var searches: []
    function search(text, everywhere) {
        searches = searches.concat([{ text: text, everywhere: everywhere }])
        var t = text.trim().toLowerCase(), out = []
        for (var i = searchable.length - 1; i >= 0 && t !== ""; --i) {
            var m = searchable[i]
            if ((everywhere || m.peer === currentPeer) && m.body.toLowerCase().indexOf(t) >= 0)
                out.push({ peer: m.peer, sender: m.outgoing ? user : m.peer, body: m.body,
                           ts: 0, time: "1 Jan 2026, 12:00", outgoing: !!m.outgoing, msgId: "s" + i })
        }
        searchResults = out
    }
    property int walletRefreshes: 0
    function refreshWallet() { walletRefreshes += 1 }
    function dismissNotice() { notice = "" }
    function setBankFingerprint(fp) {
        var hex = fp.replace(/[ :]/g, "")
        if (!/^[0-9a-fA-F]{64}$/.test(hex))
            return "A fingerprint is 64 hex digits."
        bankFingerprint = fp.trim()
        return ""
    }
    function pay(to, amount) {
        payments = payments.concat([{ to: to, amount: amount }])
        paying = true
        return ""
    }
    function reset() {
        messages.clear(); contacts.clear()
        currentPeer = ""; lastSent = ""; retried = []; acceptedKeyOf = ""
        payments = []; paying = false; lastReceipt = ({}); reconnects = 0; resends = 0
        status = "connected"; signedIn = true; bankFingerprint = ""
        routerKeyChanged = false; changedAccepts = 0
        notificationsEnabled = true
        routers = ["127.0.0.1:7400"]; routerLists = []; themeMode = "light"; switchedTo = []
        user = "alice"; knownIdentities = []
        readReceiptsEnabled = true; typingEnabled = true; markedRead = []; typingTo = []
        messages.setShowRead(true)
        walletRefreshes = 0; searchable = []; searchResults = []; searches = []
        deleted = ""; routerFingerprint = ""; routerAccepted = true; routerAccepts = 0; signOuts = 0
        backups = []; restores = []; savedWindow = ({})
    }
}
