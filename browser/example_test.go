package browser_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosteron/rosteron/browser"
)

// A program that already drives Chrome with chromedp hands its browser
// over: the chromedp context carries it, whatever the allocator. Here the
// program launches Chrome with its own options (the environment Chrome
// needs and nothing else); chromedp's remote allocator works the same way.
func ExampleAdopt() {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<title>Roster</title><p>Day Shift</p>")
	}))
	defer page.Close()

	// The work is in a function that returns its error, so that its
	// deferred calls, which end the program's Chrome, run before
	// log.Fatal ends the program.
	if err := showTitle(page.URL); err != nil {
		log.Fatal(err)
	}
	// Output: 200 Roster
}

func showTitle(url string) error {
	chrome, err := browser.FindChrome("")
	if err != nil {
		return err
	}
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chrome),
			chromedp.NoInheritEnv,
			chromedp.Env(browser.ChromeEnv(os.Environ())...),
		)...)
	defer cancel()
	own, cancel := chromedp.NewContext(allocCtx)
	defer cancel() // ends the program's browser

	b, err := browser.Adopt(own)
	if err != nil {
		return err
	}
	defer b.Close() // closes the tabs opened through b, not the browser

	ctx, cancelOp := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelOp()
	tab, err := b.NewTab(ctx)
	if err != nil {
		return err
	}
	resp, err := tab.Navigate(ctx, url)
	if err != nil {
		return err
	}
	title, err := browser.Eval[string](ctx, tab, "document.title")
	if err != nil {
		return err
	}
	fmt.Println(resp.Status, title)
	return nil
}
