// Package e2e holds the end-to-end tests: the real rosteron binary and the
// library against the mock server, in real headless Chrome.
//
// By default the tests build the CLI, start `rosteron mock` as a subprocess
// on a free loopback port, and launch a local Chrome. docker-compose.yml
// points them at its services instead through the environment:
//
//	ROSTERON_E2E_URL   base URL of a running mock (skips starting one)
//	ROSTERON_BROWSER   DevTools endpoint of a remote Chrome
//	ROSTERON_E2E_HOST  host name a remote Chrome reaches this machine by,
//	                   for the servers the tests start themselves
package e2e
