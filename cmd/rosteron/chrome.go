package main

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
)

// system is what rosteron knows of the machine it runs on, to say how to
// install Chrome there: the operating system (runtime.GOOS) and, on Linux,
// the distribution's os-release ID and ID_LIKE.
type system struct {
	goos string
	ids  []string
}

// thisSystem reads the machine's system.
func thisSystem() system {
	s := system{goos: runtime.GOOS}
	if s.goos == "linux" {
		for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
			if f, err := os.Open(p); err == nil {
				s.ids = osReleaseIDs(f)
				f.Close()
				break
			}
		}
	}
	return s
}

// osReleaseIDs returns the ID and then the ID_LIKE entries of an
// os-release file, in lower case: "ubuntu", then "debian".
func osReleaseIDs(r io.Reader) []string {
	var id, like []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		value = strings.ToLower(strings.Trim(value, `"'`))
		switch key {
		case "ID":
			id = []string{value}
		case "ID_LIKE":
			like = strings.Fields(value)
		}
	}
	return append(id, like...)
}

// noChromeMessage says that there is no Chrome, how to install one on sys,
// and the other ways to give rosteron one.
func noChromeMessage(sys system) string {
	return "no Chrome found: " + installAdvice(sys) +
		", or name one with --chrome PATH, or use a running one with --browser ws://HOST:9222"
}

// installAdvice is how to install a Chrome rosteron finds on sys.
func installAdvice(sys system) string {
	switch sys.goos {
	case "darwin":
		return "install Google Chrome (https://www.google.com/chrome/, or brew install --cask google-chrome)"
	case "windows":
		return "install Google Chrome (winget install Google.Chrome), or Microsoft Edge"
	case "linux":
		// The first of ID and ID_LIKE that is known decides: Ubuntu
		// says ID=ubuntu ID_LIKE=debian, and its Chromium is a snap.
		for _, id := range sys.ids {
			switch {
			case id == "debian":
				return "install chromium-headless-shell (sudo apt-get install chromium-headless-shell)"
			case id == "ubuntu":
				return "install Google Chrome (download its .deb from https://www.google.com/chrome/, " +
					"then sudo apt-get install ./google-chrome-stable_current_amd64.deb)"
			case slices.Contains([]string{"fedora", "rhel", "centos"}, id):
				return "install Chromium (sudo dnf install chromium)"
			}
		}
	}
	return "install Chromium or Google Chrome"
}
