// Command demo runs the whole zkcred story in one process.
package main

import "fmt"

func main() {
	fmt.Println("zkcred: the demo is being built; see README.md for what the library does so far.")
}
