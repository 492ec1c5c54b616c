package main

// Stand-ins for the CalDAV and Google flags that branches i17-caldav and
// i17-google add (cmd/rosteron/caldav.go, google.go), until they are
// merged. This file is deleted by that merge.

import (
	"context"
	"errors"
	"flag"
	"time"

	"github.com/rosteron/rosteron/calendar"
)

const caldavUsage = "  --caldav URL        (pending)\n"
const googleUsage = "  --google-client FILE (pending)\n"

type caldavFlags struct{ url string }

func (f *caldavFlags) register(fs *flag.FlagSet) { fs.StringVar(&f.url, "caldav", "", "") }
func (f caldavFlags) given() bool                { return f.url != "" }

type googleFlags struct{ client string }

func (f *googleFlags) register(fs *flag.FlagSet) { fs.StringVar(&f.client, "google-client", "", "") }
func (f googleFlags) given() bool                { return f.client != "" }

func (c *cli) openCalDAV(context.Context, string, caldavFlags, string, bool) (calendar.Calendar, error) {
	return nil, errors.New("CalDAV: pending")
}

func (c *cli) openGoogle(context.Context, string, googleFlags, string, *time.Location) (calendar.Calendar, error) {
	return nil, errors.New("Google: pending")
}
