import QtQuick
import "logic.js" as Logic

// A round avatar with the first letter of `name` and an optional presence dot.
Item {
    id: root
    property string name
    property bool showPresence: false
    property bool online: false
    property color ringColor: theme.sidebar
    property int size: 40
    implicitWidth: size; implicitHeight: size

    Rectangle {
        anchors.fill: parent
        radius: width / 2
        color: Logic.avatarColor(root.name)
        Text {
            anchors.centerIn: parent
            text: Logic.initials(root.name)
            color: "white"
            font.pixelSize: root.size * 0.42
            font.bold: true
        }
    }
    Rectangle {
        visible: root.showPresence
        width: root.size * 0.32; height: width; radius: width / 2
        anchors.right: parent.right; anchors.bottom: parent.bottom
        color: root.online ? Logic.online : Logic.offline
        border.color: root.ringColor; border.width: 2
    }
}
