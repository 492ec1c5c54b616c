package browser

import "strings"

// chromeVars are the variables a launched Chrome gets from the program's
// environment by default: what it needs to find its files, fonts, locale,
// time zone and proxy on Linux, macOS and Windows. Anything else, such as
// a password or a cloud key the program was given, stays out of Chrome's
// processes, and so out of /proc/PID/environ and Chrome's crash reports.
// Names match in any case, as Windows matches them.
var chromeVars = []string{
	// Where things are.
	"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TMP", "TEMP",
	// Language and time zone (and LC_*, below).
	"LANG", "LANGUAGE", "TZ",
	// Fonts.
	"FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT",
	// Proxies, which Chrome on Linux takes from the environment.
	"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY", "NO_PROXY",
	// A display, for a caller who turns headless mode off.
	"DISPLAY", "WAYLAND_DISPLAY",
	// Windows: the system's folders, without which Chrome cannot start,
	// and the user's.
	"SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT",
	"USERPROFILE", "USERNAME", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA",
	"PROGRAMFILES", "PROGRAMFILES(X86)", "PROGRAMW6432",
	"NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
	// macOS: the encoding of the user's text.
	"__CF_USER_TEXT_ENCODING",
}

// chromePrefixes are families of variables Chrome may use: the locale's
// categories and the XDG base directories (config, cache, runtime).
var chromePrefixes = []string{"LC_", "XDG_"}

// ownPrefix marks this project's own variables, which hold the password
// among others: none ever reaches Chrome, whatever environment Chrome is given.
const ownPrefix = "ROSTERON_"

// ChromeEnv returns the variables of environ (NAME=value pairs, as
// os.Environ gives them) that a launched Chrome gets by default: PATH,
// HOME, the temporary folder, the locale (LANG, LC_*), TZ, XDG_*,
// fontconfig's, the proxy variables, and the essentials of Windows (such
// as SystemRoot) and macOS. No ROSTERON_* variable is ever among them.
func ChromeEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, ok := strings.Cut(kv, "=")
		if ok && name != "" && chromeUses(name) {
			out = append(out, kv)
		}
	}
	return out
}

func chromeUses(name string) bool {
	upper := strings.ToUpper(name)
	if strings.HasPrefix(upper, ownPrefix) {
		return false
	}
	for _, p := range chromePrefixes {
		if strings.HasPrefix(upper, p) {
			return true
		}
	}
	for _, v := range chromeVars {
		if upper == v {
			return true
		}
	}
	return false
}

// withoutOwn drops this project's variables from vars.
func withoutOwn(vars []string) []string {
	var out []string
	for _, kv := range vars {
		if !strings.HasPrefix(strings.ToUpper(kv), ownPrefix) {
			out = append(out, kv)
		}
	}
	return out
}
