package caldav_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/rosteron/rosteron/calendar"
	"github.com/rosteron/rosteron/calendar/caldav"
)

// Open finds the calendar named "Roster" from the server's address, or
// makes it; List then reads back the account's events, with the ETags a
// conditional Update or Delete needs.
func ExampleOpen() {
	ctx := context.Background()
	password, err := os.ReadFile("/etc/rosteron/caldav-password")
	if err != nil {
		log.Fatal(err)
	}
	cal, err := caldav.Open(ctx, caldav.Config{
		URL:      "https://caldav.fastmail.com/",
		Username: "joe@fastmail.com",
		Password: strings.TrimSpace(string(password)),
		Calendar: "Roster",
	})
	if err != nil {
		log.Fatal(err) // a *calendar.AuthError when the password is refused
	}
	account, err := calendar.AccountID("https://rosteron.example.com.au/RosterOnProd/Mobile", "joe.bloggs")
	if err != nil {
		log.Fatal(err)
	}
	events, err := cal.List(ctx, account)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cal, len(events))
}
