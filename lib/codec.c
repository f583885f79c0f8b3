/* placeholder: written in the typed-API work */
