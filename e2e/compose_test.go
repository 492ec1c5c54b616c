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
		} `yaml:"services"`
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
}
