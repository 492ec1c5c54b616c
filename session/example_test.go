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
// happens, logging out and freeing Chrome, as Python's with block does.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s, err := session.New("https://rosteron.example.com.au/RosterOnProd/Mobile")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	if err := s.LogIn(ctx, "joe.bloggs", os.Getenv("ROSTERON_PASSWORD")); err != nil {
		var bad *session.BadCredentialsError
		if errors.As(err, &bad) {
			log.Fatalf("check the password of %s", bad.Username)
		}
		log.Fatal(err)
	}
	snap, err := s.GetRoster(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(snap)
	for _, item := range snap.Items {
		fmt.Println(item)
	}
	if err := s.LogOut(ctx); err != nil {
		log.Fatal(err)
	}
	if err := s.SaveLogs("rosteron-logs"); err != nil {
		log.Fatal(err)
	}
}

// Many sessions can share one Chrome; each has its own browser context, so
// they share no cookies.
func Example_sharedBrowser() {
	ctx := context.Background()
	b, err := browser.Open(ctx) // or browser.Connect(ctx, "ws://chrome:9222")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	for _, user := range []string{"ann.nurse", "bob.driver"} {
		s, err := session.New("https://rosteron.example.com.au/RosterOnProd/Mobile", session.WithBrowser(b))
		if err != nil {
			log.Fatal(err)
		}
		if err := s.LogIn(ctx, user, os.Getenv("PASSWORD_"+user)); err != nil {
			log.Print(err)
		} else if snap, err := s.GetRoster(ctx); err == nil {
			fmt.Println(user, len(snap.Items))
		}
		s.Close()
	}
}
