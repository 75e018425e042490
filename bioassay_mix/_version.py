"""The package version, in a leaf module so that every stage can read it without importing the
package itself."""

__version__ = "0.1.0"
