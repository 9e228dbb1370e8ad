package tree

import (
	"fmt"
	"io"
)

// Node is a line of the tree and the lines below it.
type Node struct {
	// Label is what the line says.
	Label string
	// Children are the nodes below it.
	Children []*Node
}

// add appends a child labelled label and returns it.
func (n *Node) add(label string) *Node {
	child := &Node{Label: label}
	n.Children = append(n.Children, child)
	return child
}

// Write draws the trees of roots, one after the other.
func Write(w io.Writer, roots []*Node) {
	for _, root := range roots {
		fmt.Fprintln(w, root.Label)
		writeChildren(w, root, "")
	}
}

// writeChildren draws the children of n, each line prefixed by indent.
func writeChildren(w io.Writer, n *Node, indent string) {
	for i, child := range n.Children {
		branch, next := "├── ", "│   "
		if i == len(n.Children)-1 {
			branch, next = "└── ", "    "
		}
		fmt.Fprintln(w, indent+branch+child.Label)
		writeChildren(w, child, indent+next)
	}
}
