package e2e

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// Docker does not run on our machines, so this checks the compose file's
// wiring: the services, and that the e2e service points these tests at the
// mock and the remote Chrome through the variables they honour.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../docker-compose.yml")
	require.NoError(t, err)
	var compose struct {
		Services map[string]struct {
			Build       any               `yaml:"build"`
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			DependsOn   []string          `yaml:"depends_on"`
			WorkingDir  string            `yaml:"working_dir"`
			Profiles    []string          `yaml:"profiles"`
			EnvFile     []struct {
				Path     string `yaml:"path"`
				Required *bool  `yaml:"required"`
			} `yaml:"env_file"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	require.NoError(t, yaml.Unmarshal(b, &compose))

	mock, ok := compose.Services["mock"]
	require.True(t, ok, "a mock service")
	assert.NotNil(t, mock.Build, "the mock is built from this repository")
	assert.Equal(t, []string{"mock", "--addr", "0.0.0.0:8080"}, mock.Command)
	_, err = os.Stat("../Dockerfile")
	assert.NoError(t, err, "the mock's build needs the Dockerfile")

	chrome, ok := compose.Services["chrome"]
	require.True(t, ok, "a chrome service")
	assert.Contains(t, chrome.Image, "chromedp/headless-shell")
	assert.Contains(t, chrome.Ports, "127.0.0.1:9222:9222")

	e2e, ok := compose.Services["e2e"]
	require.True(t, ok, "an e2e service")
	assert.Equal(t, "http://mock:8080/RosterOnProd/Mobile", e2e.Environment["ROSTERON_E2E_URL"])
	assert.Equal(t, "ws://chrome:9222", e2e.Environment["ROSTERON_BROWSER"])
	assert.Equal(t, "e2e", e2e.Environment["ROSTERON_E2E_HOST"])
	assert.Equal(t, "true", e2e.Environment["CI"])
	assert.ElementsMatch(t, []string{"mock", "chrome"}, e2e.DependsOn)
	assert.Contains(t, e2e.Command, "./e2e/")
	assert.Equal(t, "/src", e2e.WorkingDir)

	// The calendar feed: the built image, the remote Chrome, the account
	// from .env (never written here), state on a volume, loopback only.
	serve, ok := compose.Services["serve"]
	require.True(t, ok, "a serve service")
	assert.NotNil(t, serve.Build, "serve runs the image built from this repository")
	require.NotEmpty(t, serve.Command)
	assert.Equal(t, "serve", serve.Command[0])
	assert.Equal(t, "0.0.0.0:8765", flagValue(serve.Command, "--addr"), "reachable from outside its container")
	assert.Equal(t, "/state", flagValue(serve.Command, "--state"))
	assert.Equal(t, "ws://chrome:9222", serve.Environment["ROSTERON_BROWSER"])
	for _, k := range []string{"ROSTERON_PASSWORD", "ROSTERON_URL", "ROSTERON_USERNAME", "ROSTERON_FEED_TOKEN"} {
		assert.NotContains(t, serve.Environment, k, "%s comes from .env", k)
	}
	require.Len(t, serve.EnvFile, 1)
	assert.Equal(t, ".env", serve.EnvFile[0].Path)
	if assert.NotNil(t, serve.EnvFile[0].Required) {
		assert.False(t, *serve.EnvFile[0].Required, "the other services start without a .env")
	}
	assert.Contains(t, serve.Volumes, "serve-state:/state")
	assert.Contains(t, compose.Volumes, "serve-state")
	assert.Equal(t, []string{"127.0.0.1:8765:8765"}, serve.Ports, "published on loopback only")
	assert.Contains(t, serve.DependsOn, "chrome")
	assert.Equal(t, []string{"serve"}, serve.Profiles, "started only when named, not by the e2e run")
	dockerfile, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^COPY --from=build --chown=65532:65532 \S+ /state$`, string(dockerfile),
		"the image's nonroot user owns /state, so a new volume there is writable")
}

// flagValue returns the value after name in a command, "" without one.
func flagValue(command []string, name string) string {
	for i, arg := range command {
		if arg == name && i+1 < len(command) {
			return command[i+1]
		}
	}
	return ""
}
