; Inno Setup 6 script for desktop-app on Windows (per-user install, no admin rights needed).
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=dist\desktop-app /DIconFile=build\icons\desktop-app.ico ^
;        /DOutputDir=dist packaging\windows\desktop-app.iss
;
; .github/workflows/installers.yml passes the version from pyproject.toml and the icon it
; generated from resources/icons/*.png. SourceDir is PyInstaller's one-folder bundle.

#ifndef AppVersion
  #error Pass /DAppVersion=<version from pyproject.toml>
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\desktop-app"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

#define AppName "Desktop App"
#define AppExe "desktop-app.exe"

[Setup]
; A fixed AppId keeps upgrades and uninstall working across versions: never change it.
AppId={{6E4B1D2A-6C1B-4E0F-9D4A-3F2C7B8E5A10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=desktop_app developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Desktop App
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user by default (no UAC prompt); an administrator may still choose "all users".
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=desktop-app-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
#ifdef IconFile
SetupIconFile={#IconFile}
#endif
; The app may be running during an upgrade: ask to close it (RestartManager).
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the installer put there; the person's settings (%APPDATA%\desktop-app) and the
; tokens in Windows Credential Manager stay unless they sign out first.
Type: filesandordirs; Name: "{app}\_internal"
