"""Text to mentions: genes, variants, microRNAs, treatments and families, with their offsets."""
