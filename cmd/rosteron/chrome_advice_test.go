package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOSReleaseIDs(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		file string
		want []string
	}{
		"debian": {"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n", []string{"debian"}},
		"ubuntu": {"NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n", []string{"ubuntu", "debian"}},
		"rocky":  {"NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", []string{"rocky", "rhel", "centos", "fedora"}},
		"quoted": {"ID='Fedora'\n", []string{"fedora"}},
		"empty":  {"", nil},
		"junk":   {"# comment\nnot a line\n=\n", nil},
	} {
		assert.Equal(t, tc.want, osReleaseIDs(strings.NewReader(tc.file)), name)
	}
}

// Each system gets the way to install a Chrome that rosteron then finds,
// and every message offers --chrome and --browser.
func TestNoChromeMessagePerSystem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sys  system
		want string
	}{
		{system{"linux", []string{"debian"}}, "sudo apt-get install chromium-headless-shell"},
		{system{"linux", []string{"raspbian", "debian"}}, "sudo apt-get install chromium-headless-shell"},
		{system{"linux", []string{"ubuntu", "debian"}}, "sudo apt-get install ./google-chrome-stable_current_amd64.deb"},
		{system{"linux", []string{"linuxmint", "ubuntu", "debian"}}, "google-chrome-stable_current_amd64.deb"},
		{system{"linux", []string{"fedora"}}, "sudo dnf install chromium"},
		{system{"linux", []string{"rocky", "rhel", "centos", "fedora"}}, "sudo dnf install chromium"},
		{system{"linux", []string{"arch"}}, "install Chromium or Google Chrome"},
		{system{"linux", nil}, "install Chromium or Google Chrome"},
		{system{"darwin", nil}, "brew install --cask google-chrome"},
		{system{"windows", nil}, "winget install Google.Chrome"},
		{system{"freebsd", nil}, "install Chromium or Google Chrome"},
	} {
		msg := noChromeMessage(tc.sys)
		assert.Contains(t, msg, tc.want, "%+v", tc.sys)
		assert.True(t, strings.HasPrefix(msg, "no Chrome found: install "), msg)
		assert.Contains(t, msg, "--chrome PATH", "%+v", tc.sys)
		assert.Contains(t, msg, "--browser ws://HOST:9222", "%+v", tc.sys)
		if tc.sys.goos != "linux" {
			assert.NotContains(t, msg, "apt-get", "no apt-get advice off Linux: %+v", tc.sys)
		}
	}
}
