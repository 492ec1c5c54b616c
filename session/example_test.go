package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/rosteron/rosteron/browser"
	"github.com/rosteron/rosteron/session"
)

// The whole job: log in, read the roster, log out. Close runs whatever
// happens, logging out and freeing Chrome, as Python's with block does,
// so the work is in a function that returns its error: log.Fatal under
// the deferred Close would end the program without it, and without the
// logout.
func Example() {
	if err := printRoster("joe.bloggs", os.Getenv("ROSTERON_PASSWORD")); err != nil {
		var bad *session.BadCredentialsError
		switch {
		case errors.As(err, &bad):
			log.Fatalf("check the password of %s", bad.Username)
		case errors.Is(err, session.ErrBrowser):
			log.Fatalf("Chrome failed, not RosterOn: %v", err)
		}
		log.Fatal(err)
	}
}

func printRoster(username, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s, err := session.New("https://rosteron.example.com.au/RosterOnProd/Mobile")
	if err != nil {
		return err
	}
	defer s.Close()

	if err := s.LogIn(ctx, username, password); err != nil {
		return err
	}
	snap, err := s.GetRoster(ctx)
	if err != nil {
		return err
	}
	fmt.Println(snap)
	for _, item := range snap.Items {
		fmt.Println(item)
	}
	if err := s.LogOut(ctx); err != nil {
		return err
	}
	return s.SaveLogs("rosteron-logs")
}

// Many sessions can share one Chrome; each has its own browser context, so
// they share no cookies.
func Example_sharedBrowser() {
	if err := printCounts("ann.nurse", "bob.driver"); err != nil {
		log.Fatal(err)
	}
}

func printCounts(users ...string) error {
	ctx := context.Background()
	b, err := browser.Open(ctx) // or browser.Connect(ctx, "ws://chrome:9222")
	if err != nil {
		return err
	}
	defer b.Close()

	for _, user := range users {
		s, err := session.New("https://rosteron.example.com.au/RosterOnProd/Mobile", session.WithBrowser(b))
		if err != nil {
			return err
		}
		if err := s.LogIn(ctx, user, os.Getenv("PASSWORD_"+user)); err != nil {
			log.Print(err)
		} else if snap, err := s.GetRoster(ctx); err == nil {
			fmt.Println(user, len(snap.Items))
		}
		s.Close()
	}
	return nil
}
