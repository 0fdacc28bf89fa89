#pragma once

// The app's colours, light or dark, as one object every view binds to
// (the context property `theme`): switching the mode recolours every page
// at once, without reloading anything.

#include <QColor>
#include <QObject>
#include <QString>

namespace courier::ui {

class Theme : public QObject {
  Q_OBJECT
  /// "light", "dark" or "system" (the desktop's palette decides).
  Q_PROPERTY(QString mode READ mode WRITE setMode NOTIFY changed)
  /// Whether the dark colours are in use.
  Q_PROPERTY(bool dark READ dark NOTIFY changed)
  Q_PROPERTY(QColor page MEMBER page_ NOTIFY changed)
  Q_PROPERTY(QColor card MEMBER card_ NOTIFY changed)
  Q_PROPERTY(QColor text MEMBER text_ NOTIFY changed)
  Q_PROPERTY(QColor muted MEMBER muted_ NOTIFY changed)
  Q_PROPERTY(QColor border MEMBER border_ NOTIFY changed)
  Q_PROPERTY(QColor rule MEMBER rule_ NOTIFY changed)
  Q_PROPERTY(QColor incoming MEMBER incoming_ NOTIFY changed)
  Q_PROPERTY(QColor outgoing MEMBER outgoing_ NOTIFY changed)
  Q_PROPERTY(QColor accent MEMBER accent_ NOTIFY changed)
  Q_PROPERTY(QColor accentDark MEMBER accentDark_ NOTIFY changed)
  Q_PROPERTY(QColor sidebar MEMBER sidebar_ NOTIFY changed)
  Q_PROPERTY(QColor sidebarHover MEMBER sidebarHover_ NOTIFY changed)
  Q_PROPERTY(QColor sidebarSelected MEMBER sidebarSelected_ NOTIFY changed)
  Q_PROPERTY(QColor sidebarText MEMBER sidebarText_ NOTIFY changed)
  Q_PROPERTY(QColor sidebarMuted MEMBER sidebarMuted_ NOTIFY changed)
  Q_PROPERTY(QColor danger MEMBER danger_ NOTIFY changed)
  Q_PROPERTY(QColor dangerBg MEMBER dangerBg_ NOTIFY changed)
  Q_PROPERTY(QColor dangerFaint MEMBER dangerFaint_ NOTIFY changed)
  Q_PROPERTY(QColor good MEMBER good_ NOTIFY changed)
  Q_PROPERTY(QColor goodBg MEMBER goodBg_ NOTIFY changed)
  Q_PROPERTY(QColor goodBorder MEMBER goodBorder_ NOTIFY changed)
  Q_PROPERTY(QColor goodText MEMBER goodText_ NOTIFY changed)
  Q_PROPERTY(QColor warnBg MEMBER warnBg_ NOTIFY changed)
  Q_PROPERTY(QColor warnBorder MEMBER warnBorder_ NOTIFY changed)
  Q_PROPERTY(QColor warnText MEMBER warnText_ NOTIFY changed)
  Q_PROPERTY(QColor chip MEMBER chip_ NOTIFY changed)
  Q_PROPERTY(QColor chipHover MEMBER chipHover_ NOTIFY changed)
  Q_PROPERTY(QColor inset MEMBER inset_ NOTIFY changed)
  Q_PROPERTY(QColor hover MEMBER hover_ NOTIFY changed)
  Q_PROPERTY(QColor faint MEMBER faint_ NOTIFY changed)
  Q_PROPERTY(QColor disabled MEMBER disabled_ NOTIFY changed)
  Q_PROPERTY(QColor button MEMBER button_ NOTIFY changed)
  Q_PROPERTY(QColor selection MEMBER selection_ NOTIFY changed)

public:
  explicit Theme(QObject* parent = nullptr);

  /// Whether `mode` is one of light, dark and system.
  static bool valid_mode(const QString& mode);

  const QString& mode() const { return mode_; }
  bool dark() const { return dark_; }
  /// Takes `mode` (an invalid one is ignored) and recolours.
  void setMode(const QString& mode);

Q_SIGNALS:
  void changed();

private:
  void apply();

  QString mode_ = QStringLiteral("light");
  bool dark_ = false;
  QColor page_; ///< the window behind cards
  QColor card_; ///< headers, cards, dialogs
  QColor text_; ///< body text
  QColor muted_; ///< secondary text
  QColor border_; ///< lines around cards
  QColor rule_; ///< lines between list rows
  QColor incoming_; ///< their bubbles
  QColor outgoing_; ///< our bubbles
  QColor accent_; ///< links, main actions
  QColor accentDark_; ///< main actions, pressed
  QColor sidebar_; ///< the sidebar
  QColor sidebarHover_;
  QColor sidebarSelected_;
  QColor sidebarText_;
  QColor sidebarMuted_;
  QColor danger_; ///< errors, the unread divider
  QColor dangerBg_; ///< behind errors
  QColor dangerFaint_; ///< a disabled dangerous button
  QColor good_; ///< verified, online
  QColor goodBg_; ///< behind good news
  QColor goodBorder_;
  QColor goodText_; ///< text on goodBg
  QColor warnBg_; ///< behind warnings
  QColor warnBorder_;
  QColor warnText_; ///< text on warnBg
  QColor chip_; ///< small badges and buttons
  QColor chipHover_;
  QColor inset_; ///< fingerprint boxes, the composer's field
  QColor hover_; ///< a hovered row
  QColor faint_; ///< large decorative glyphs
  QColor disabled_; ///< a disabled main button
  QColor button_; ///< plain buttons
  QColor selection_; ///< selected text in their bubbles
};

} // namespace courier::ui
