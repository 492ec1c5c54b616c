package main

import "strings"

// browserTokenUsage documents --browser-token-file in the help texts of
// the commands that take --browser.
const browserTokenUsage = `  --browser-token-file PATH
                      the file holding the bearer token of the DevTools at
                      --browser, such as rosteron chrome's (default
                      $ROSTERON_BROWSER_TOKEN_FILE, else the token itself in
                      $ROSTERON_BROWSER_TOKEN)
`

// browserToken is the bearer token for the DevTools at --browser:
// --browser-token-file's, else $ROSTERON_BROWSER_TOKEN_FILE's, else
// $ROSTERON_BROWSER_TOKEN; "" for none. It is read here only, never put
// on a command line, and a Chrome rosteron starts gets no ROSTERON_*
// variable.
func (f *sessionFlags) browserToken(c *cli, cmd string) (string, error) {
	path := f.browserTok
	what := "--browser-token-file"
	if path == "" {
		path, what = c.getenv("ROSTERON_BROWSER_TOKEN_FILE"), "ROSTERON_BROWSER_TOKEN_FILE"
	}
	if path != "" {
		token, err := readToken(path)
		if err != nil {
			return "", usagef(cmd, "invalid %s %q: %v", what, path, err)
		}
		return token, nil
	}
	token := strings.TrimSpace(c.getenv("ROSTERON_BROWSER_TOKEN"))
	if token == "" {
		return "", nil
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] >= 0x7f {
			return "", usagef(cmd, "invalid ROSTERON_BROWSER_TOKEN: want one line of printable ASCII without spaces")
		}
	}
	return token, nil
}
