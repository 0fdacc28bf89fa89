import QtQuick
import QtTest
import "../qml/logic.js" as Logic

TestCase {
    name: "Logic"

    function test_start_peer_due() {
        // Nothing to open, or not signed in: never.
        verify(!Logic.startPeerDue("", true, "connected", true, false))
        verify(!Logic.startPeerDue(undefined, true, "connected", true, true))
        verify(!Logic.startPeerDue("bob", false, "connected", true, true))
        // A contact opens at once, connected or not.
        verify(Logic.startPeerDue("bob", true, "connecting", false, true))
        // A new name waits for the connection its lookup needs, to a
        // router whose key was accepted.
        verify(!Logic.startPeerDue("bob", true, "connecting", false, false))
        verify(!Logic.startPeerDue("bob", true, "disconnected", true, false))
        verify(!Logic.startPeerDue("bob", true, "connected", false, false))
        verify(Logic.startPeerDue("bob", true, "connected", true, false))
    }

    function test_adjacent_peer() {
        var names = ["bob", "carol", "dana"]
        compare(Logic.adjacentPeer(names, "bob", 1), "carol")
        compare(Logic.adjacentPeer(names, "dana", 1), "bob")
        compare(Logic.adjacentPeer(names, "bob", -1), "dana")
        compare(Logic.adjacentPeer(names, "", 1), "bob")
        compare(Logic.adjacentPeer(names, "", -1), "dana")
        compare(Logic.adjacentPeer([], "", 1), "")
    }

    function test_amount_validation_data() {
        return [
            { tag: "whole", text: "3", ok: true },
            { tag: "one decimal", text: "12.5", ok: true },
            { tag: "two decimals", text: "12.50", ok: true },
            { tag: "smallest", text: "0.01", ok: true },
            { tag: "three decimals", text: "1.234", ok: false },
            { tag: "zero", text: "0", ok: false },
            { tag: "zero decimals", text: "0.00", ok: false },
            { tag: "negative", text: "-5", ok: false },
            { tag: "plus", text: "+5", ok: false },
            { tag: "exponent", text: "1e3", ok: false },
            { tag: "space", text: " 5", ok: false },
            { tag: "comma", text: "5,00", ok: false },
            { tag: "trailing dot", text: "5.", ok: false },
            { tag: "letters", text: "abc", ok: false },
            { tag: "empty", text: "", ok: false },
            { tag: "maximum", text: "1000000000000", ok: true },
            { tag: "over maximum", text: "1000000000000.01", ok: false },
            { tag: "huge", text: "99999999999999999999", ok: false },
        ]
    }

    function test_amount_validation(data) {
        compare(Logic.validateAmount(data.text) === "", data.ok, data.text)
        // The same verdict as the bank's own parser (bank::parse_amount).
        compare(amountRules.valid(data.text), data.ok, "C++ " + data.text)
    }

    function test_amount_messages() {
        compare(Logic.validateAmount("1.234"), "At most two decimals.")
        compare(Logic.validateAmount("0"), "The amount must be more than zero.")
        compare(Logic.validateAmount("-1"), "The amount must be positive.")
    }

    function test_backoff() {
        var got = []
        for (var i = 0; i < 7; ++i)
            got.push(Logic.backoffDelay(i))
        compare(got, [500, 1000, 2000, 4000, 8000, 10000, 10000])
    }

    function test_connection_states() {
        compare(Logic.nextConnectionState("connected", "lost"), "waiting")
        compare(Logic.nextConnectionState("waiting", "retry"), "connecting")
        compare(Logic.nextConnectionState("connecting", "failed"), "waiting")
        compare(Logic.nextConnectionState("connecting", "connected"), "connected")
        compare(Logic.nextConnectionState("connecting", "fatal"), "stopped")
        compare(Logic.nextConnectionState("stopped", "lost"), "stopped")
        compare(Logic.nextConnectionState("connected", "retry"), "connected")
        compare(Logic.nextConnectionState("waiting", "signedOut"), "idle")
    }

    function test_unread() {
        verify(Logic.countsAsUnread("bob", "carol", true))
        verify(!Logic.countsAsUnread("bob", "bob", true))
        verify(Logic.countsAsUnread("bob", "bob", false))
        compare(Logic.unreadBadge(0), "")
        compare(Logic.unreadBadge(3), "3")
        compare(Logic.unreadBadge(120), "99+")
    }

    function test_banner() {
        compare(Logic.bannerState(null), "none")
        compare(Logic.bannerState({ name: "bob", fingerprint: "ab", verified: true, keyChanged: false }), "none")
        compare(Logic.bannerState({ name: "bob", fingerprint: "ab", verified: false, keyChanged: false }), "unverified")
        compare(Logic.bannerState({ name: "bob", fingerprint: "ab", verified: true, keyChanged: true }), "changed")
        verify(!Logic.canSend("hi", { name: "bob", keyChanged: true }))
        verify(Logic.canSend("hi", { name: "bob", keyChanged: false }))
        verify(!Logic.canSend("   ", { name: "bob" }))
    }

    function test_send_key() {
        verify(Logic.isSendKey(Qt.Key_Return, Qt.NoModifier))
        verify(Logic.isSendKey(Qt.Key_Enter, Qt.KeypadModifier))
        verify(!Logic.isSendKey(Qt.Key_Return, Qt.ShiftModifier))
        verify(!Logic.isSendKey(Qt.Key_A, Qt.NoModifier))
    }

    function test_passphrase_strength() {
        compare(Logic.passphraseStrength("").score, 0)
        compare(Logic.passphraseStrength("abc").label, "too weak")
        verify(Logic.passphraseStrength("correct horse battery staple").score >= 3)
        verify(Logic.passphraseStrength("Tr0ub4dor&3xyz").score >= 3)
    }

    function test_fingerprint_lines() {
        var fp = "aaaa bbbb cccc dddd eeee ffff 0000 1111 2222 3333 4444 5555 6666 7777 8888 9999"
        compare(Logic.fingerprintLines(fp),
                "aaaa bbbb cccc dddd eeee ffff 0000 1111\n2222 3333 4444 5555 6666 7777 8888 9999")
    }

    function test_group_fingerprint() {
        compare(Logic.groupFingerprint("AAAAbbbbccccdddd eeee:ffff0000111122223333444455556666777788889999"),
                "aaaa bbbb cccc dddd eeee ffff 0000 1111\n2222 3333 4444 5555 6666 7777 8888 9999")
        compare(Logic.groupFingerprint(""), "")
        compare(Logic.groupFingerprint("not a fingerprint"), "not a fingerprint")
        compare(Logic.groupFingerprint("abcd".repeat(15)), "abcd".repeat(15)) // 60 digits
    }

    function test_linkify_escapes_and_links() {
        var html = Logic.linkify("<b>x</b> & see https://example.org/a?b=1&c=2.", "#123456")
        verify(html.indexOf("&lt;b&gt;x&lt;/b&gt; &amp; see") >= 0, html)
        verify(html.indexOf('<a href="https://example.org/a?b=1&amp;c=2" style="color:#123456">') >= 0, html)
        verify(html.indexOf("</a>.") >= 0, html)
        verify(Logic.linkify("a\nb").indexOf("a<br>b") >= 0)
        compare(Logic.linkify("javascript:alert(1)").indexOf("<a"), -1)
    }

    function test_presence_text() {
        compare(Logic.presenceText(true, "connected"), "online")
        compare(Logic.presenceText(true, "offline"), "offline")
        compare(Logic.presenceText(true, "connecting"), "offline")
        compare(Logic.presenceText(false, "connected"), "offline")
    }

    function test_day_label() {
        var today = new Date(2026, 11, 5, 9, 30) // a Saturday
        var c = Qt.locale("en_GB")
        compare(Logic.dayLabel("2026-12-05", today, c), "Today")
        compare(Logic.dayLabel("2026-12-04", today, c), "Yesterday")
        compare(Logic.dayLabel("2026-12-01", today, c), "Tuesday")
        compare(Logic.dayLabel("2026-11-29", today, c), "Sunday")
        // A week or more ago, or in the future: the date as the locale writes it.
        compare(Logic.dayLabel("2026-11-28", today, c),
                new Date(2026, 10, 28).toLocaleDateString(c, Locale.LongFormat))
        verify(Logic.dayLabel("2026-11-28", today, c).indexOf("2026") >= 0)
        verify(Logic.dayLabel("2026-12-07", today, c).indexOf("2026") >= 0)
        compare(Logic.dayLabel("2026-11-28", today, Qt.locale("de_DE")),
                new Date(2026, 10, 28).toLocaleDateString(Qt.locale("de_DE"), Locale.LongFormat))
        // Across the change to winter time: still "Yesterday".
        compare(Logic.dayLabel("2026-10-25", new Date(2026, 9, 26, 0, 30), c), "Yesterday")
        compare(Logic.dayLabel("garbage", today, c), "")
    }
}
