"""AEP knowledge shipped with aepflow: generated data files and the code that reads them."""
