from django.apps import AppConfig

from fits.navigation import NavItem


class PrintingConfig(AppConfig):
    name = "om.printing"
    label = "printing"
    verbose_name = "Print and Output Management"
    fits_group = "om"
    fits_order = 40
    navigation = [
        NavItem("Printers", "printing:printer_list", icon="list", visible="can_view_printing"),
        NavItem("Consumables", "printing:cartridge_list", icon="shopping-cart", visible="can_view_printing"),
        NavItem("Print usage", "printing:usage", icon="chart-line", visible="can_view_printing"),
    ]
    # The Printing tab of a printer CI's page (cmdb/views.py imports it at run time: cmdb never imports om).
    ci_tab = ("printing", "Printing", "om.printing.views.ci_printing_tab", {"printer"})
