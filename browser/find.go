package browser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/chromedp/chromedp"
)

// ErrNoChrome is returned when no Chrome, Chromium or Edge can be found.
// How to install one depends on the system, which the program using this
// package knows better: it says nothing about that.
var ErrNoChrome = errors.New("no Chrome, Chromium or Edge found")

// headlessShell is Debian's build of Chrome's headless shell, which starts
// about twice as fast as a full Chromium and uses about half the memory.
// chromedp does not look for it under this name.
const headlessShell = "chromium-headless-shell"

// FindChrome returns the path of the Chrome binary to launch: path, looked
// up on PATH, when it is not empty; otherwise the first found of
//
//  1. chromium-headless-shell on PATH, then in Debian's /usr/lib/chromium;
//  2. the browser chromedp would start, from its own list of the usual
//     names and places on Linux, macOS and Windows (Chromium, Google
//     Chrome, the headless shell, and on Windows Microsoft Edge);
//  3. Debian's /usr/lib/chromium/chromium, for a PATH without /usr/bin.
//
// It returns ErrNoChrome when there is none. It reads no variable of its
// own: a program that lets its users name a Chrome passes their choice as
// path.
//
// Debian's /usr/bin/chromium and /usr/bin/chromium-headless-shell are shell
// scripts that start the real binary without exec. Killing such a script
// leaves Chrome running, so FindChrome returns the real binary behind a
// wrapper script when it can find it.
func FindChrome(path string) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("chrome %q: %w", path, err)
		}
		return unwrapScript(p), nil
	}
	return systemFinder().find()
}

// finder is FindChrome's search, with the system's parts replaceable so
// that tests can set the scene.
type finder struct {
	lookPath func(string) (string, error)
	// chromedp returns the browser chromedp's allocator would start.
	chromedp func() (string, bool)
	// debianLib is where Debian keeps the real Chromium binaries.
	debianLib string
}

// systemFinder searches this machine.
func systemFinder() finder {
	return finder{lookPath: exec.LookPath, chromedp: chromedpChoice, debianLib: "/usr/lib/chromium"}
}

func (f finder) find() (string, error) {
	if p, err := f.lookPath(headlessShell); err == nil {
		return unwrapScript(p), nil
	}
	if p := filepath.Join(f.debianLib, headlessShell); f.debianLib != "" && isExecutable(p) {
		return p, nil
	}
	if p, ok := f.chromedp(); ok {
		return unwrapScript(p), nil
	}
	if p := filepath.Join(f.debianLib, "chromium"); f.debianLib != "" && isExecutable(p) {
		return p, nil
	}
	return "", ErrNoChrome
}

// errOnlyLooking stops chromedpChoice's allocation before anything runs.
var errOnlyLooking = errors.New("only looking for Chrome")

// chromedpChoice returns the browser that chromedp's ExecAllocator starts
// when it is given no ExecPath, without starting it. chromedp keeps its
// list of places unexported, but shows the command it chose to
// ModifyCmdFunc, which here records the path and makes the start fail.
func chromedpChoice() (path string, found bool) {
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		// A profile folder of its own: chromedp would make and remove
		// a temporary one, for a browser that never starts.
		chromedp.UserDataDir(os.DevNull),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// When nothing is found chromedp falls back to the name
			// google-chrome, and os/exec records that it is not
			// on PATH in cmd.Err.
			if cmd.Err == nil && cmd.Path != "" {
				path, found = cmd.Path, true
			}
			cmd.Err = errOnlyLooking
		}),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	_ = chromedp.Do(ctx) // fails with errOnlyLooking by design
	return path, found
}

// unwrapScript returns the binary that a small shell wrapper at path starts,
// or path itself when it is not such a wrapper or the binary is not found.
func unwrapScript(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return path
	}
	defer f.Close()
	head := make([]byte, 2)
	if _, err := f.Read(head); err != nil || !bytes.Equal(head, []byte("#!")) {
		return path
	}
	if _, err := f.Seek(0, 0); err != nil {
		return path
	}
	name := filepath.Base(path)
	// The wrapper names its binary either literally or through a
	// variable such as LIBDIR=/usr/lib/$APPNAME; try the literal paths
	// first, then the usual library folders.
	var found []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, field := range strings.FieldsFunc(sc.Text(), func(r rune) bool {
			return r == ' ' || r == '"' || r == '\'' || r == '\t' || r == '='
		}) {
			if strings.HasPrefix(field, "/") && filepath.Base(field) == name && field != path {
				found = append(found, field)
			}
		}
	}
	found = append(found,
		filepath.Join("/usr/lib", name, name),
		filepath.Join("/usr/lib/chromium", name),
	)
	for _, p := range found {
		if isExecutable(p) && !isScript(p) {
			return p
		}
	}
	return path
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func isScript(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 2)
	n, _ := f.Read(head)
	return n == 2 && bytes.Equal(head, []byte("#!"))
}
