<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="de">
  <context>
    <name>AboutDialog</name>
    <message>
      <source>About {name}</source>
      <translation>Über {name}</translation>
    </message>
    <message>
      <source>About</source>
      <translation>Über</translation>
    </message>
    <message>
      <source>App icon</source>
      <translation>App-Symbol</translation>
    </message>
    <message>
      <source>Logto endpoint: {endpoint}</source>
      <translation>Logto-Endpunkt: {endpoint}</translation>
    </message>
    <message>
      <source>Logto endpoint: not configured</source>
      <translation>Logto-Endpunkt: nicht eingerichtet</translation>
    </message>
    <message>
      <source>Licence: {licence}</source>
      <translation>Lizenz: {licence}</translation>
    </message>
    <message>
      <source>Maintainer: {maintainer}</source>
      <translation>Betreuung: {maintainer}</translation>
    </message>
    <message>
      <source>About text</source>
      <translation>Info-Text</translation>
    </message>
    <message>
      <source>Close</source>
      <translation>Schließen</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <source>Main window</source>
      <translation>Hauptfenster</translation>
    </message>
    <message>
      <source>Pages</source>
      <translation>Seiten</translation>
    </message>
    <message>
      <source>&amp;File</source>
      <translation>&amp;Datei</translation>
    </message>
    <message>
      <source>&amp;Settings…</source>
      <translation>&amp;Einstellungen…</translation>
    </message>
    <message>
      <source>Ctrl+,</source>
      <translation>Ctrl+,</translation>
    </message>
    <message>
      <source>&amp;Quit</source>
      <translation>&amp;Beenden</translation>
    </message>
    <message>
      <source>Ctrl+Q</source>
      <translation>Ctrl+Q</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>&amp;Hilfe</translation>
    </message>
    <message>
      <source>&amp;About {name}</source>
      <translation>&amp;Über {name}</translation>
    </message>
    <message>
      <source>Message</source>
      <translation>Meldung</translation>
    </message>
    <message>
      <source>Message text</source>
      <translation>Meldungstext</translation>
    </message>
    <message>
      <source>What to do</source>
      <translation>Was zu tun ist</translation>
    </message>
    <message>
      <source>Dismiss message</source>
      <translation>Meldung schließen</translation>
    </message>
    <message>
      <source>Signed out</source>
      <translation>Abgemeldet</translation>
    </message>
    <message>
      <source>App icon</source>
      <translation>App-Symbol</translation>
    </message>
    <message>
      <source>App name</source>
      <translation>App-Name</translation>
    </message>
    <message>
      <source>Sign in with your Logto account. Your browser opens to finish.</source>
      <translation>Melden Sie sich mit Ihrem Logto-Konto an. Zum Abschließen öffnet sich Ihr Browser.</translation>
    </message>
    <message>
      <source>Welcome text</source>
      <translation>Begrüßungstext</translation>
    </message>
    <message>
      <source>&amp;Sign in</source>
      <translation>&amp;Anmelden</translation>
    </message>
    <message>
      <source>Sign in</source>
      <translation>Anmelden</translation>
    </message>
    <message>
      <source>Opens Logto's sign-in page in your browser</source>
      <translation>Öffnet die Anmeldeseite von Logto in Ihrem Browser</translation>
    </message>
    <message>
      <source>&amp;Create account</source>
      <translation>&amp;Konto erstellen</translation>
    </message>
    <message>
      <source>Create account</source>
      <translation>Konto erstellen</translation>
    </message>
    <message>
      <source>Opens Logto's sign-up page in your browser</source>
      <translation>Öffnet die Registrierungsseite von Logto in Ihrem Browser</translation>
    </message>
    <message>
      <source>Continue with social account</source>
      <translation>Mit Social-Konto fortfahren</translation>
    </message>
    <message>
      <source>Signs in through the social account set in Settings</source>
      <translation>Meldet Sie über das in den Einstellungen gewählte Social-Konto an</translation>
    </message>
    <message>
      <source>Logto endpoint</source>
      <translation>Logto-Endpunkt</translation>
    </message>
    <message>
      <source>Hint</source>
      <translation>Hinweis</translation>
    </message>
    <message>
      <source>Waiting for the browser</source>
      <translation>Warten auf den Browser</translation>
    </message>
    <message>
      <source>Waiting title</source>
      <translation>Titel beim Warten</translation>
    </message>
    <message>
      <source>Waiting explanation</source>
      <translation>Erklärung beim Warten</translation>
    </message>
    <message>
      <source>Time left to sign in</source>
      <translation>Verbleibende Zeit zum Anmelden</translation>
    </message>
    <message>
      <source>Elapsed time</source>
      <translation>Vergangene Zeit</translation>
    </message>
    <message>
      <source>C&amp;ancel</source>
      <translation>Abbre&amp;chen</translation>
    </message>
    <message>
      <source>Cancel sign-in</source>
      <translation>Anmeldung abbrechen</translation>
    </message>
    <message>
      <source>Stops waiting for the browser (Esc)</source>
      <translation>Wartet nicht länger auf den Browser (Esc)</translation>
    </message>
    <message>
      <source>Stop waiting for the browser (Esc)</source>
      <translation>Nicht länger auf den Browser warten (Esc)</translation>
    </message>
    <message>
      <source>&amp;Open browser again</source>
      <translation>Browser erneut ö&amp;ffnen</translation>
    </message>
    <message>
      <source>Open browser again</source>
      <translation>Browser erneut öffnen</translation>
    </message>
    <message>
      <source>Opens the same sign-in page once more</source>
      <translation>Öffnet dieselbe Anmeldeseite noch einmal</translation>
    </message>
    <message>
      <source>Co&amp;py sign-in link</source>
      <translation>Anmeldel&amp;ink kopieren</translation>
    </message>
    <message>
      <source>Copy sign-in link</source>
      <translation>Anmeldelink kopieren</translation>
    </message>
    <message>
      <source>Copies the sign-in page's address, to open it yourself</source>
      <translation>Kopiert die Adresse der Anmeldeseite, damit Sie sie selbst öffnen können</translation>
    </message>
    <message>
      <source>For when the browser did not open, e.g. over SSH or in WSL</source>
      <translation>Falls sich der Browser nicht geöffnet hat, z. B. über SSH oder in WSL</translation>
    </message>
    <message>
      <source>Signed in</source>
      <translation>Angemeldet</translation>
    </message>
    <message>
      <source>Profile</source>
      <translation>Profil</translation>
    </message>
    <message>
      <source>Avatar</source>
      <translation>Profilbild</translation>
    </message>
    <message>
      <source>Name</source>
      <translation>Name</translation>
    </message>
    <message>
      <source>Username</source>
      <translation>Benutzername</translation>
    </message>
    <message>
      <source>Email</source>
      <translation>E-Mail</translation>
    </message>
    <message>
      <source>User ID</source>
      <translation>Benutzer-ID</translation>
    </message>
    <message>
      <source>Linked accounts</source>
      <translation>Verknüpfte Konten</translation>
    </message>
    <message>
      <source>Offline: showing your saved profile.</source>
      <translation>Offline: Ihr gespeichertes Profil wird angezeigt.</translation>
    </message>
    <message>
      <source>Offline note</source>
      <translation>Offline-Hinweis</translation>
    </message>
    <message>
      <source>Session</source>
      <translation>Sitzung</translation>
    </message>
    <message>
      <source>Session heading</source>
      <translation>Überschrift Sitzung</translation>
    </message>
    <message>
      <source>Token status</source>
      <translation>Token-Status</translation>
    </message>
    <message>
      <source>&amp;Refresh profile</source>
      <translation>Profil &amp;neu laden</translation>
    </message>
    <message>
      <source>Refresh profile</source>
      <translation>Profil neu laden</translation>
    </message>
    <message>
      <source>Loads your profile from Logto again</source>
      <translation>Lädt Ihr Profil erneut von Logto</translation>
    </message>
    <message>
      <source>Sign &amp;out</source>
      <translation>Ab&amp;melden</translation>
    </message>
    <message>
      <source>Sign out</source>
      <translation>Abmelden</translation>
    </message>
    <message>
      <source>Removes your session from this computer and tells Logto</source>
      <translation>Entfernt Ihre Sitzung von diesem Computer und teilt es Logto mit</translation>
    </message>
    <message>
      <source>Also sign out of Logto in the &amp;browser (to switch accounts)</source>
      <translation>Auch im &amp;Browser bei Logto abmelden (um das Konto zu wechseln)</translation>
    </message>
    <message>
      <source>End browser session too</source>
      <translation>Auch die Browser-Sitzung beenden</translation>
    </message>
    <message>
      <source>Ends the sign-in session in your browser too, so the next sign-in can be someone else</source>
      <translation>Beendet auch die Anmeldesitzung in Ihrem Browser, damit sich danach jemand anderes anmelden kann</translation>
    </message>
    <message>
      <source>&amp;Token details</source>
      <translation>&amp;Token-Details</translation>
    </message>
    <message>
      <source>Token details</source>
      <translation>Token-Details</translation>
    </message>
    <message>
      <source>Shows or hides the decoded token claims</source>
      <translation>Zeigt oder verbirgt die entschlüsselten Token-Claims</translation>
    </message>
    <message>
      <source>Token details panel</source>
      <translation>Bereich Token-Details</translation>
    </message>
    <message>
      <source>ID token claims, decoded (times in your time zone; the token itself is never shown)</source>
      <translation>Claims des ID-Tokens, entschlüsselt (Zeiten in Ihrer Zeitzone; das Token selbst wird nie angezeigt)</translation>
    </message>
    <message>
      <source>ID token claims heading</source>
      <translation>Überschrift Claims des ID-Tokens</translation>
    </message>
    <message>
      <source>ID token claims</source>
      <translation>Claims des ID-Tokens</translation>
    </message>
    <message>
      <source>API resource</source>
      <translation>API-Ressource</translation>
    </message>
    <message>
      <source>&amp;Get API token</source>
      <translation>API-Token &amp;holen</translation>
    </message>
    <message>
      <source>Get API token</source>
      <translation>API-Token holen</translation>
    </message>
    <message>
      <source>Gets an access token for the chosen API and shows its claims</source>
      <translation>Holt ein Zugriffstoken für die gewählte API und zeigt seine Claims</translation>
    </message>
    <message>
      <source>Organizations</source>
      <translation>Organisationen</translation>
    </message>
    <message>
      <source>Organizations heading</source>
      <translation>Überschrift Organisationen</translation>
    </message>
    <message>
      <source>You are not a member of any organization in this Logto tenant.</source>
      <translation>Sie sind in diesem Logto-Mandanten Mitglied keiner Organisation.</translation>
    </message>
    <message>
      <source>Organization</source>
      <translation>Organisation</translation>
    </message>
    <message>
      <source>Get &amp;organization token</source>
      <translation>&amp;Organisations-Token holen</translation>
    </message>
    <message>
      <source>Get organization token</source>
      <translation>Organisations-Token holen</translation>
    </message>
    <message>
      <source>Gets a token to act as a member of the chosen organization and shows its claims</source>
      <translation>Holt ein Token, um als Mitglied der gewählten Organisation zu handeln, und zeigt seine Claims</translation>
    </message>
    <message>
      <source>API token claims</source>
      <translation>Claims des API-Tokens</translation>
    </message>
    <message>
      <source>Working</source>
      <translation>In Arbeit</translation>
    </message>
    <message>
      <source>Progress</source>
      <translation>Fortschritt</translation>
    </message>
    <message>
      <source>Working…</source>
      <translation>Einen Moment…</translation>
    </message>
    <message>
      <source>Not configured</source>
      <translation>Nicht eingerichtet</translation>
    </message>
    <message>
      <source>App logo</source>
      <translation>App-Logo</translation>
    </message>
    <message>
      <source>Connect to your Logto</source>
      <translation>Mit Ihrem Logto verbinden</translation>
    </message>
    <message>
      <source>Setup title</source>
      <translation>Titel Einrichtung</translation>
    </message>
    <message>
      <source>Enter your Logto endpoint and the App ID of a Native app to start.</source>
      <translation>Geben Sie zum Start Ihren Logto-Endpunkt und die App-ID einer Native-App ein.</translation>
    </message>
    <message>
      <source>Try it without a Logto account: run the app with --demo.</source>
      <translation>Ohne Logto-Konto ausprobieren: Starten Sie die App mit --demo.</translation>
    </message>
    <message>
      <source>Setup text</source>
      <translation>Text Einrichtung</translation>
    </message>
    <message>
      <source>Open &amp;Settings…</source>
      <translation>&amp;Einstellungen öffnen…</translation>
    </message>
    <message>
      <source>Open settings</source>
      <translation>Einstellungen öffnen</translation>
    </message>
    <message>
      <source>Enter your Logto endpoint and App ID</source>
      <translation>Logto-Endpunkt und App-ID eingeben</translation>
    </message>
    <message>
      <source>Restoring your session…</source>
      <translation>Ihre Sitzung wird wiederhergestellt…</translation>
    </message>
    <message>
      <source>Signing out…</source>
      <translation>Abmelden…</translation>
    </message>
    <message>
      <source>Starting…</source>
      <translation>Wird gestartet…</translation>
    </message>
    <message>
      <source>Sign-in did not complete. {problem}</source>
      <translation>Die Anmeldung wurde nicht abgeschlossen. {problem}</translation>
    </message>
    <message>
      <source>Completing sign-in</source>
      <translation>Anmeldung wird abgeschlossen</translation>
    </message>
    <message>
      <source>Signed in as {name}</source>
      <translation>Angemeldet als {name}</translation>
    </message>
    <message>
      <source>Restoring your session</source>
      <translation>Sitzung wird wiederhergestellt</translation>
    </message>
    <message>
      <source>Signing out</source>
      <translation>Abmelden</translation>
    </message>
    <message>
      <source>Starting</source>
      <translation>Start</translation>
    </message>
    <message>
      <source>Not configured yet</source>
      <translation>Noch nicht eingerichtet</translation>
    </message>
    <message>
      <source>Completing sign-in…</source>
      <translation>Anmeldung wird abgeschlossen…</translation>
    </message>
    <message>
      <source>Your browser sent the answer back. One moment.</source>
      <translation>Ihr Browser hat die Antwort zurückgeschickt. Einen Moment.</translation>
    </message>
    <message>
      <source>Opening your browser…</source>
      <translation>Ihr Browser wird geöffnet…</translation>
    </message>
    <message>
      <source>The sign-in page opens in your web browser.</source>
      <translation>Die Anmeldeseite öffnet sich in Ihrem Webbrowser.</translation>
    </message>
    <message>
      <source>Your browser did not open</source>
      <translation>Ihr Browser hat sich nicht geöffnet</translation>
    </message>
    <message>
      <source>The browser did not open.</source>
      <translation>Der Browser hat sich nicht geöffnet.</translation>
    </message>
    <message>
      <source>Use Copy sign-in link, paste the link into a browser on this computer and finish signing in there.</source>
      <translation>Verwenden Sie „Anmeldelink kopieren“, fügen Sie den Link in einen Browser auf diesem Computer ein und schließen Sie die Anmeldung dort ab.</translation>
    </message>
    <message>
      <source>Continue in your browser</source>
      <translation>Weiter in Ihrem Browser</translation>
    </message>
    <message>
      <source>A sign-in page has opened in your browser. Come back here when it says you can close it.</source>
      <translation>In Ihrem Browser hat sich eine Anmeldeseite geöffnet. Kommen Sie hierher zurück, sobald dort steht, dass Sie sie schließen können.</translation>
    </message>
    <message>
      <source>{name} ({roles})</source>
      <translation>{name} ({roles})</translation>
    </message>
    <message>
      <source>Username: {username}</source>
      <translation>Benutzername: {username}</translation>
    </message>
    <message>
      <source>No email address</source>
      <translation>Keine E-Mail-Adresse</translation>
    </message>
    <message>
      <source>User ID: {sub}</source>
      <translation>Benutzer-ID: {sub}</translation>
    </message>
    <message>
      <source>Linked accounts: {accounts}</source>
      <translation>Verknüpfte Konten: {accounts}</translation>
    </message>
    <message>
      <source>verified</source>
      <translation>bestätigt</translation>
    </message>
    <message>
      <source>Profile picture</source>
      <translation>Profilbild</translation>
    </message>
    <message>
      <source>Initials {initials}</source>
      <translation>Initialen {initials}</translation>
    </message>
    <message>
      <source>Con&amp;tinue with {name}</source>
      <translation>Wei&amp;ter mit {name}</translation>
    </message>
  </context>
  <context>
    <name>SettingsDialog</name>
    <message>
      <source>Settings</source>
      <translation>Einstellungen</translation>
    </message>
    <message>
      <source>Connect to your Logto app</source>
      <translation>Mit Ihrer Logto-App verbinden</translation>
    </message>
    <message>
      <source>Welcome</source>
      <translation>Willkommen</translation>
    </message>
    <message>
      <source>Enter the endpoint and App ID of your Native app (Logto Console → Applications), and register this redirect URI there: {uri}</source>
      <translation>Geben Sie den Endpunkt und die App-ID Ihrer Native-App ein (Logto Console → Anwendungen) und tragen Sie dort diese Weiterleitungs-URI ein: {uri}</translation>
    </message>
    <message>
      <source>Getting started</source>
      <translation>Erste Schritte</translation>
    </message>
    <message>
      <source>Logto &amp;endpoint</source>
      <translation>Logto-&amp;Endpunkt</translation>
    </message>
    <message>
      <source>As shown in the Logto Console, e.g. https://your-tenant.logto.app</source>
      <translation>Wie in der Logto Console angezeigt, z. B. https://your-tenant.logto.app</translation>
    </message>
    <message>
      <source>&amp;App ID</source>
      <translation>&amp;App-ID</translation>
    </message>
    <message>
      <source>On your Native app's page in the Logto Console, under App ID.</source>
      <translation>Auf der Seite Ihrer Native-App in der Logto Console, unter „App ID“.</translation>
    </message>
    <message>
      <source>Ad&amp;vanced</source>
      <translation>Er&amp;weitert</translation>
    </message>
    <message>
      <source>Advanced</source>
      <translation>Erweitert</translation>
    </message>
    <message>
      <source>Scopes, API resources, callback, social sign-in and session-only mode</source>
      <translation>Scopes, API-Ressourcen, Callback, Social-Anmeldung und Nur-Sitzung-Modus</translation>
    </message>
    <message>
      <source>Advanced settings</source>
      <translation>Erweiterte Einstellungen</translation>
    </message>
    <message>
      <source>Extra sco&amp;pes</source>
      <translation>Zusätzliche Sco&amp;pes</translation>
    </message>
    <message>
      <source>Separated by spaces. openid, profile and offline_access are always asked for.</source>
      <translation>Durch Leerzeichen getrennt. openid, profile und offline_access werden immer angefragt.</translation>
    </message>
    <message>
      <source>e.g. email phone custom_data</source>
      <translation>z. B. email phone custom_data</translation>
    </message>
    <message>
      <source>API &amp;resources</source>
      <translation>API-&amp;Ressourcen</translation>
    </message>
    <message>
      <source>API identifiers from the Logto Console to get access tokens for, separated by spaces.</source>
      <translation>API-Bezeichner aus der Logto Console, für die Zugriffstoken geholt werden, durch Leerzeichen getrennt.</translation>
    </message>
    <message>
      <source>e.g. https://api.example.com</source>
      <translation>z. B. https://api.example.com</translation>
    </message>
    <message>
      <source>Organi&amp;zations: sign in as a member of them</source>
      <translation>Or&amp;ganisationen: als deren Mitglied anmelden</translation>
    </message>
    <message>
      <source>Asks Logto for your organizations and their roles (add organization scopes such as read:reports to Extra scopes), so you can get organization tokens.</source>
      <translation>Fragt Logto nach Ihren Organisationen und Rollen (Organisations-Scopes wie read:reports unter „Zusätzliche Scopes“ eintragen), damit Sie Organisations-Token holen können.</translation>
    </message>
    <message>
      <source>Organizations</source>
      <translation>Organisationen</translation>
    </message>
    <message>
      <source>Sign-in page &amp;languages</source>
      <translation>Sprachen der Anme&amp;ldeseite</translation>
    </message>
    <message>
      <source>Language tags for Logto's sign-in page, preferred first, e.g. de-CH de. Empty: this computer's languages ({languages}).</source>
      <translation>Sprach-Tags für die Anmeldeseite von Logto, bevorzugte zuerst, z. B. de-CH de. Leer: die Sprachen dieses Computers ({languages}).</translation>
    </message>
    <message>
      <source>none set</source>
      <translation>keine festgelegt</translation>
    </message>
    <message>
      <source>e.g. de en</source>
      <translation>z. B. de en</translation>
    </message>
    <message>
      <source>Callback pa&amp;th</source>
      <translation>Callback-Pfa&amp;d</translation>
    </message>
    <message>
      <source>The redirect URI's path: register http://127.0.0.1 plus this path in Logto.</source>
      <translation>Der Pfad der Weiterleitungs-URI: Tragen Sie http://127.0.0.1 plus diesen Pfad in Logto ein.</translation>
    </message>
    <message>
      <source>any free port</source>
      <translation>beliebiger freier Port</translation>
    </message>
    <message>
      <source>Callback p&amp;ort</source>
      <translation>Callback-P&amp;ort</translation>
    </message>
    <message>
      <source>0 means any free port (recommended: Logto ignores the port of a loopback redirect URI); otherwise 1024 to 65535.</source>
      <translation>0 bedeutet beliebiger freier Port (empfohlen: Logto ignoriert den Port einer Loopback-Weiterleitungs-URI); sonst 1024 bis 65535.</translation>
    </message>
    <message>
      <source>Social connector tar&amp;get</source>
      <translation>&amp;Ziel des Social-Connectors</translation>
    </message>
    <message>
      <source>Optional: adds a “Continue with …” button for this social connector.</source>
      <translation>Optional: fügt für diesen Social-Connector eine Schaltfläche „Weiter mit …“ hinzu.</translation>
    </message>
    <message>
      <source>e.g. google</source>
      <translation>z. B. google</translation>
    </message>
    <message>
      <source>Social connector &amp;name</source>
      <translation>&amp;Name des Social-Connectors</translation>
    </message>
    <message>
      <source>Optional: the name on that button.</source>
      <translation>Optional: der Name auf dieser Schaltfläche.</translation>
    </message>
    <message>
      <source>e.g. Google</source>
      <translation>z. B. Google</translation>
    </message>
    <message>
      <source>Session onl&amp;y: never store tokens on this computer</source>
      <translation>Nur diese Sitzung: Tokens nie auf diesem Computer speic&amp;hern</translation>
    </message>
    <message>
      <source>Tokens stay in memory and you sign in again after quitting. Use this on a shared computer, or where no keyring is available.</source>
      <translation>Tokens bleiben im Arbeitsspeicher, und nach dem Beenden melden Sie sich erneut an. Nutzen Sie das auf einem gemeinsam genutzten Computer oder wo kein Schlüsselbund verfügbar ist.</translation>
    </message>
    <message>
      <source>No usable keyring was found on this computer, so tokens are kept in memory only: you sign in again after quitting.</source>
      <translation>Auf diesem Computer wurde kein nutzbarer Schlüsselbund gefunden, daher bleiben Tokens nur im Arbeitsspeicher: Nach dem Beenden melden Sie sich erneut an.</translation>
    </message>
    <message>
      <source>Session only</source>
      <translation>Nur diese Sitzung</translation>
    </message>
    <message>
      <source>Settings error</source>
      <translation>Fehler in den Einstellungen</translation>
    </message>
    <message>
      <source>Where settings are saved</source>
      <translation>Speicherort der Einstellungen</translation>
    </message>
    <message>
      <source>Proxy in use</source>
      <translation>Verwendeter Proxy</translation>
    </message>
    <message>
      <source>&amp;Save</source>
      <translation>&amp;Speichern</translation>
    </message>
    <message>
      <source>Save</source>
      <translation>Speichern</translation>
    </message>
    <message>
      <source>Check and save the settings (Enter)</source>
      <translation>Einstellungen prüfen und speichern (Eingabetaste)</translation>
    </message>
    <message>
      <source>&amp;Cancel</source>
      <translation>Abbre&amp;chen</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>Abbrechen</translation>
    </message>
    <message>
      <source>Close without saving (Esc)</source>
      <translation>Ohne Speichern schließen (Esc)</translation>
    </message>
    <message>
      <source>Demo mode: these settings last until you quit. Nothing is saved to disk.</source>
      <translation>Demo-Modus: Diese Einstellungen gelten bis zum Beenden. Nichts wird gespeichert.</translation>
    </message>
    <message>
      <source>Saved to {path}. Tokens are never saved there: they are kept in the system keyring, or only in memory with Session only.</source>
      <translation>Gespeichert in {path}. Tokens werden dort nie gespeichert: Sie liegen im Schlüsselbund des Systems oder, mit „Nur diese Sitzung“, nur im Arbeitsspeicher.</translation>
    </message>
    <message>
      <source>Proxy: {proxy} with a user name and password, from {source}.</source>
      <translation>Proxy: {proxy} mit Benutzername und Passwort, aus {source}.</translation>
    </message>
    <message>
      <source>Proxy: {proxy}, from {source}.</source>
      <translation>Proxy: {proxy}, aus {source}.</translation>
    </message>
    <message>
      <source>Proxy: none (this computer's own addresses are reached directly).</source>
      <translation>Proxy: keiner (die eigenen Adressen dieses Computers werden direkt erreicht).</translation>
    </message>
    <message>
      <source>Proxy: none, the app connects directly.</source>
      <translation>Proxy: keiner, die App verbindet sich direkt.</translation>
    </message>
    <message>
      <source>the {name} environment variable</source>
      <translation>der Umgebungsvariable {name}</translation>
    </message>
    <message>
      <source>the system proxy settings</source>
      <translation>den Proxy-Einstellungen des Systems</translation>
    </message>
    <message>
      <source>{field} error</source>
      <translation>Fehler bei {field}</translation>
    </message>
    <message>
      <source>Error: {problem} {help}</source>
      <translation>Fehler: {problem} {help}</translation>
    </message>
    <message>
      <source>One setting needs attention.</source>
      <translation>Eine Einstellung muss geprüft werden.</translation>
    </message>
    <message>
      <source>{count} settings need attention.</source>
      <translation>{count} Einstellungen müssen geprüft werden.</translation>
    </message>
    <message>
      <source>Could not save the settings to {path}: {problem}. Nothing was changed; check that the folder can be written to, then save again.</source>
      <translation>Die Einstellungen konnten nicht in {path} gespeichert werden: {problem}. Nichts wurde geändert; prüfen Sie, ob der Ordner beschreibbar ist, und speichern Sie erneut.</translation>
    </message>
  </context>
  <context>
    <name>TaskRunner</name>
    <message>
      <source>Something went wrong. Please try again; if it keeps happening, run the app with --verbose and report the log.</source>
      <translation>Etwas ist schiefgegangen. Bitte versuchen Sie es erneut; wenn es wieder passiert, starten Sie die App mit --verbose und melden Sie das Protokoll.</translation>
    </message>
  </context>
  <context>
    <name>DesktopApp</name>
    <message>
      <location filename="../../work/wt/at-work/desktop_app/app.py" line="101" />
      <source>, </source>
      <translation>, </translation>
    </message>
    <message>
      <source>Demo users: {users}</source>
      <translation>Demo-Benutzer: {users}</translation>
    </message>
    <message>
      <source>{name}: {users}</source>
      <translation>{name}: {users}</translation>
    </message>
    <message>
      <source>Starting the local demo sign-in server…</source>
      <translation>Der lokale Demo-Anmeldeserver wird gestartet…</translation>
    </message>
    <message>
      <source>No usable keyring here, so this demo keeps tokens in memory only: you will sign in again after a restart.</source>
      <translation>Hier gibt es keinen nutzbaren Schlüsselbund, daher behält diese Demo Tokens nur im Arbeitsspeicher: Nach einem Neustart melden Sie sich erneut an.</translation>
    </message>
  </context>
  <context>
    <name>SessionViewModel</name>
    <message>
      <source>Access token: none cached (fetched when needed)</source>
      <extracomment>After a sign-in through the browser completed: the window comes back to the front. Any failure the task runner reports, in words for people.</extracomment>
      <translation>Zugriffstoken: keines zwischengespeichert (wird bei Bedarf geholt)</translation>
    </message>
    <message>
      <source>Access token expires at {time} (in {left})</source>
      <translation>Zugriffstoken läuft um {time} ab (in {left})</translation>
    </message>
    <message>
      <source>Access token expired at {time} (renewed when needed)</source>
      <translation>Zugriffstoken ist um {time} abgelaufen (wird bei Bedarf erneuert)</translation>
    </message>
    <message>
      <source>Refresh token: available</source>
      <translation>Aktualisierungstoken: vorhanden</translation>
    </message>
    <message>
      <source>Refresh token: none (sign in again when the access token expires)</source>
      <translation>Aktualisierungstoken: keines (erneut anmelden, wenn das Zugriffstoken abläuft)</translation>
    </message>
    <message>
      <source>Tokens stored in: {where}</source>
      <translation>Tokens gespeichert in: {where}</translation>
    </message>
    <message>
      <source>Not configured yet: open Settings to enter your Logto endpoint and app ID.</source>
      <translation>Noch nicht eingerichtet: Öffnen Sie die Einstellungen und geben Sie Ihren Logto-Endpunkt und die App-ID ein.</translation>
    </message>
    <message>
      <source>Signs in with Logto at {endpoint} (app {app_id})</source>
      <translation>Meldet mit Logto unter {endpoint} an (App {app_id})</translation>
    </message>
    <message>
      <source>Browser is back. Completing sign-in…</source>
      <translation>Der Browser ist zurück. Die Anmeldung wird abgeschlossen…</translation>
    </message>
    <message>
      <source>Waiting {elapsed} of {timeout}</source>
      <translation>Wartet {elapsed} von {timeout}</translation>
    </message>
    <message>
      <source>Unnamed user</source>
      <translation>Unbenannter Benutzer</translation>
    </message>
    <message>
      <source>Sign-in link copied. Paste it into a browser on this computer; the browser must be able to reach 127.0.0.1 here.</source>
      <translation>Anmeldelink kopiert. Fügen Sie ihn in einen Browser auf diesem Computer ein; der Browser muss 127.0.0.1 hier erreichen können.</translation>
    </message>
  </context>
</TS>