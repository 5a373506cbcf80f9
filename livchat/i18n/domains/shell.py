"""Strings of the page frames and shared components: navigation, the phone menu, tables, plans."""

EN = {
    "shell.account": "Your account",
    "shell.nav.main": "Main",
    "shell.nav.footer": "Footer",
    "shell.nav.dashboard": "Dashboard sections",
    "shell.nav.pricing": "Pricing",
    "shell.organization": "Organization",
    "shell.theme.dark": "Dark theme",
    "shell.theme.light": "Light theme",
    "shell.plans.see": "See the plans",
    "shell.plans.more_instances": "Need more instances? See the plans.",
    "table.actions": "Actions",
}

PT_BR = {
    "shell.account": "Sua conta",
    "shell.nav.main": "Principal",
    "shell.nav.footer": "Rodapé",
    "shell.nav.dashboard": "Seções do painel",
    "shell.nav.pricing": "Preços",
    "shell.organization": "Organização",
    "shell.theme.dark": "Tema escuro",
    "shell.theme.light": "Tema claro",
    "shell.plans.see": "Ver os planos",
    "shell.plans.more_instances": "Precisa de mais instâncias? Veja os planos.",
    "table.actions": "Ações",
}
