package image

// pod returns a Pod manifest whose containers use the images, in order.
func pod(name string, images ...string) string {
	s := "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n  containers:\n"
	for i, im := range images {
		s += "  - {name: c" + string(rune('0'+i)) + ", image: '" + im + "'}\n"
	}
	return s
}
